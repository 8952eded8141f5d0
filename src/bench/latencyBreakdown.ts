/**
 * Where dispatch latency goes, by joining the ledger's hand-overs with the workflow history:
 *   free -> signal       webhook from the simulator, API (agent lookup in visibility), signal RPC
 *   signal -> scheduled  workflow task: queued, run on the worker, completed with the placeCall command
 *   scheduled -> started activity task handed to a worker
 *   started -> request   activity code and the HTTP request reaching the provider
 * Hand-overs where the dialer learnt of the free agent some other way (a GET /agents poll) have no signal.
 * Each part's percentiles are over all hand-overs; `tailMean` is its mean over the slowest 1% of
 * hand-overs, which says which part makes the p99.
 */
import type { HistoryFigures } from './historyFigures';
import type { DispatchSample } from './ledgerFigures';
import { percentile, percentiles, type Percentiles } from './stats';

export const PARTS = ['freeToSignal', 'signalToScheduled', 'scheduledToStarted', 'startedToRequest'] as const;
export type Part = (typeof PARTS)[number];

export interface PartFigures extends Percentiles {
  /** Mean over the hand-overs at or above the overall p99 that have this part. */
  tailMean: number;
}

export interface LatencyBreakdown {
  parts: Record<Part, PartFigures>;
  /** Hand-overs joined to a signal / to a placement in the history. */
  withSignal: number;
  withPlacement: number;
  /** Hand-overs at or above the overall p99. */
  tailSamples: number;
}

type Split = Partial<Record<Part, number>>;

export function latencyBreakdown(samples: readonly DispatchSample[], history: HistoryFigures): LatencyBreakdown {
  const splits = samples.map((s) => split(s, history));
  const p99 = percentile(
    samples.map((s) => s.latencyMs).sort((a, b) => a - b),
    99,
  );
  const tail = splits.filter((_, i) => samples[i]!.latencyMs >= p99);
  const parts = Object.fromEntries(
    PARTS.map((part): [Part, PartFigures] => {
      const all = splits.flatMap((s) => (s[part] === undefined ? [] : [s[part]]));
      const inTail = tail.flatMap((s) => (s[part] === undefined ? [] : [s[part]]));
      const tailMean = inTail.length > 0 ? inTail.reduce((a, b) => a + b, 0) / inTail.length : Number.NaN;
      return [part, { ...percentiles(all), tailMean }];
    }),
  ) as Record<Part, PartFigures>;
  return {
    parts,
    withSignal: splits.filter((s) => s.freeToSignal !== undefined).length,
    withPlacement: samples.filter((s) => history.placements.has(s.next.callId)).length,
    tailSamples: tail.length,
  };
}

function split(s: DispatchSample, history: HistoryFigures): Split {
  const out: Split = {};
  const placement = history.placements.get(s.next.callId);
  const signalAt = signalOf(s, history);
  if (signalAt !== undefined) {
    out.freeToSignal = signalAt - s.freeAt;
    if (placement) out.signalToScheduled = placement.scheduledAt - signalAt;
  }
  if (placement?.startedAt !== undefined) {
    out.scheduledToStarted = placement.startedAt - placement.scheduledAt;
    out.startedToRequest = s.requestedAt - placement.startedAt;
  }
  return out;
}

/** When the signal that freed the agent was recorded: the call's end, or the first idle report after an answered call. */
export function signalOf(s: DispatchSample, history: HistoryFigures): number | undefined {
  if (s.previous.outcome !== 'completed') return history.callEndSignals.get(s.previous.callId);
  const endedAt = s.previous.endedAt ?? s.freeAt;
  return history.idleSignals.get(s.agentId)?.find((r) => r.at >= endedAt && r.recordedAt <= s.requestedAt)?.recordedAt;
}
