/**
 * What the simulator's ledger says about a run: dispatch latency per agent, throughput and how well
 * the agents' time was packed. The ledger is the provider's view, so these are the figures an
 * operator would see, not the dialer's own account.
 */
import type { CallRecord } from '../simulator/simulator';

/** One hand-over of an agent from one call to the next. */
export interface DispatchSample {
  agentId: string;
  previous: CallRecord;
  next: CallRecord;
  /** Epoch ms the agent was free by the contract's rules. */
  freeAt: number;
  /** Epoch ms the provider received the next `POST /calls` for the agent. */
  requestedAt: number;
  latencyMs: number;
}

export interface LedgerFigures {
  calls: number;
  /** Calls with no end in the ledger (a run cut short). */
  unended: number;
  outcomes: Record<string, number>;
  samples: DispatchSample[];
  /** Hand-overs not measured: the previous answered call's wrap-up end is unknown. */
  unmeasured: number;
  /** Sum over calls of first request to free again (wrap-up included). */
  busyMs: number;
  idealMakespanMs: number;
  makespanMs: number;
  makespanEfficiency: number;
  callsPerSecond: number;
}

/** When the agent of `call` was free again, or null if the ledger cannot tell. */
export function freeAtOf(call: CallRecord): number | null {
  return call.outcome === 'completed' ? call.wrapUpEndedAt : call.endedAt;
}

/** Last moment the call kept its agent: wrap-up end, else the call's end (null while live). */
function releasedAt(call: CallRecord): number | null {
  return call.wrapUpEndedAt ?? call.endedAt;
}

export function ledgerFigures(calls: readonly CallRecord[], agents: number): LedgerFigures {
  const byAgent = new Map<string, CallRecord[]>();
  const outcomes: Record<string, number> = {};
  let busyMs = 0;
  let unended = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const call of calls) {
    const list = byAgent.get(call.agentId) ?? [];
    list.push(call);
    byAgent.set(call.agentId, list);
    const outcome = call.outcome ?? 'live';
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    const end = releasedAt(call);
    if (end === null) {
      unended++;
      continue;
    }
    busyMs += end - call.firstRequestedAt;
    first = Math.min(first, call.firstRequestedAt);
    last = Math.max(last, end);
  }

  const samples: DispatchSample[] = [];
  let unmeasured = 0;
  for (const [agentId, list] of byAgent) {
    list.sort((a, b) => a.firstRequestedAt - b.firstRequestedAt);
    for (let i = 1; i < list.length; i++) {
      const previous = list[i - 1]!;
      const next = list[i]!;
      const freeAt = freeAtOf(previous);
      if (freeAt === null) {
        unmeasured++;
        continue;
      }
      const requestedAt = next.firstRequestedAt;
      samples.push({ agentId, previous, next, freeAt, requestedAt, latencyMs: requestedAt - freeAt });
    }
  }

  const makespanMs = Number.isFinite(first) ? last - first : 0;
  const idealMakespanMs = agents > 0 ? busyMs / agents : 0;
  return {
    calls: calls.length,
    unended,
    outcomes,
    samples,
    unmeasured,
    busyMs,
    idealMakespanMs,
    makespanMs,
    makespanEfficiency: makespanMs > 0 ? idealMakespanMs / makespanMs : Number.NaN,
    callsPerSecond: makespanMs > 0 ? (calls.length - unended) / (makespanMs / 1000) : Number.NaN,
  };
}
