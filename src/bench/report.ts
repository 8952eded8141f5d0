/** The bench's output: a table for people, then one JSON line (always the last line of stdout) for tools. */
import { carryBound } from '../workflows/carry';
import type { ImportFigures } from './importFigures';
import { PARTS, type Part } from './latencyBreakdown';
import type { BenchOptions } from './options';
import type { ListingCost } from './reducerFigures';
import type { RunResult } from './runScenario';
import { round, type Percentiles } from './stats';
import type { SweepResult } from './sweep';

/** The targets, on a 2-core machine with the dev server. */
const TARGETS = {
  p99Ms: 100,
  kneeCallsPerSecond: 20,
  eventsPerCall: 8,
  makespanEfficiency: 0.95,
};

export interface BenchFigures {
  dispatchLatencyMs: { p50: number | null; p95: number | null; p99: number | null };
  callsPerSecond: number | null;
  eventsPerCall: number | null;
  maxRunEvents: number;
  maxPayloadBytes: number;
  largestCarriedStateBytes: number;
  carriedStateBoundBytes: number;
  continueAsNewRuns: number;
  makespanEfficiency: number | null;
  workerRssMb: number | null;
  scenario: Record<string, unknown>;
  [extra: string]: unknown;
}

function rounded(p: Percentiles): { p50: number | null; p95: number | null; p99: number | null } {
  return { p50: round(p.p50), p95: round(p.p95), p99: round(p.p99) };
}

export function figuresOf(run: RunResult, options: BenchOptions): BenchFigures {
  const { ledger, history, breakdown } = run;
  return {
    dispatchLatencyMs: rounded(run.dispatchLatencyMs),
    callsPerSecond: round(ledger.callsPerSecond, 2),
    eventsPerCall: ledger.calls > 0 ? round(history.events / ledger.calls, 2) : null,
    maxRunEvents: history.maxRunEvents,
    maxPayloadBytes: history.maxPayloadBytes,
    largestCarriedStateBytes: history.maxCarriedBytes,
    carriedStateBoundBytes: carryBound(Math.floor(run.scenario.agents / run.scenario.campaigns)),
    continueAsNewRuns: history.runs - run.scenario.campaigns,
    makespanEfficiency: round(ledger.makespanEfficiency, 3),
    workerRssMb: run.workerRssMb === null ? null : round(run.workerRssMb, 1),
    scenario: {
      ...run.scenario,
      mode: options.sweep ? 'sweep' : 'single',
      agentPollSec: options.agentPollSec,
      callSilenceSec: options.callSilenceSec,
      temporal: `${run.temporal}, worker in its own process`,
    },
    completed: run.completed,
    calls: ledger.calls,
    dispatchSamples: ledger.samples.length,
    offeredCallsPerSecond: round(run.offeredCallsPerSecond, 2),
    makespanSec: round(ledger.makespanMs / 1000, 2),
    idealMakespanSec: round(ledger.idealMakespanMs / 1000, 2),
    historyEvents: history.events,
    eventsPerCallByKind: perCallByKind(history.eventKinds, ledger.calls),
    maxPayloadIn: history.maxPayloadIn,
    violations: run.violations,
    providerReplays: run.replays,
    latencyBreakdownMs: Object.fromEntries(
      PARTS.map((part) => {
        const p = breakdown.parts[part];
        return [part, { ...rounded(p), tailMean: round(p.tailMean) }];
      }),
    ),
  };
}

export function sweepFigures(sweep: SweepResult, options: BenchOptions): BenchFigures {
  const last = sweep.steps[sweep.steps.length - 1]!;
  return {
    ...figuresOf(last, options),
    kneeCallsPerSecond: sweep.kneeCallsPerSecond === null ? null : round(sweep.kneeCallsPerSecond, 2),
    kneeMs: sweep.kneeMs,
    sweepStoppedBecause: sweep.stoppedBecause,
    sweep: byAgents(sweep.steps).map((s) => ({
      agents: s.scenario.agents,
      numbers: s.scenario.numbers,
      offeredCallsPerSecond: round(s.offeredCallsPerSecond, 2),
      callsPerSecond: round(s.ledger.callsPerSecond, 2),
      dispatchLatencyMs: rounded(s.dispatchLatencyMs),
      makespanEfficiency: round(s.ledger.makespanEfficiency, 3),
      eventsPerCall: s.ledger.calls > 0 ? round(s.history.events / s.ledger.calls, 2) : null,
      completed: s.completed,
    })),
  };
}

export function printRun(run: RunResult, f: BenchFigures): void {
  const { ledger, history, breakdown } = run;
  const s = run.scenario;
  const range = ([min, max]: [number, number]): string => (min === max ? `${min}` : `${min}-${max}`);
  console.log(
    `\nScenario: ${s.agents} agents, ${s.numbers} numbers, ${s.campaigns} campaign(s); ` +
      `ring ${range(s.ringSec)} s, talk ${range(s.talkSec)} s, wrap-up ${range(s.wrapUpSec)} s (simulated), ` +
      `answer rate ${s.answerRate}, time scale ${s.timeScale}, seed ${s.seed}`,
  );
  console.log(`Temporal: ${run.temporal}`);
  console.log(`Campaigns: ${run.statuses.join(', ')} in ${(run.wallMs / 1000).toFixed(1)} s`);
  const d = f.dispatchLatencyMs;
  const rows: Array<[string, string, string]> = [
    ['dispatch latency p50 / p95 / p99', `${d.p50} / ${d.p95} / ${d.p99} ms`, `p99 <= ${TARGETS.p99Ms} ms`],
    ['dispatch samples', `${ledger.samples.length} (${ledger.unmeasured} unmeasured)`, ''],
    ['calls placed', `${ledger.calls} (${outcomes(ledger.outcomes)})`, ''],
    ['calls per second', `${f.callsPerSecond} (agents could take ${f.offeredCallsPerSecond})`, ''],
    ['makespan real / ideal', `${f.makespanSec} s / ${f.idealMakespanSec} s`, ''],
    ['makespan efficiency', `${f.makespanEfficiency}`, `>= ${TARGETS.makespanEfficiency}`],
    ['history events per call', `${f.eventsPerCall} (${history.events} in ${history.runs} run(s))`, `<= ${TARGETS.eventsPerCall}`],
    ['max events in one run', `${f.maxRunEvents}`, ''],
    ['continue-as-new runs', `${f.continueAsNewRuns}`, ''],
    ['largest payload', `${f.maxPayloadBytes} B (${history.maxPayloadIn})`, ''],
    ['largest carried state', `${f.largestCarriedStateBytes} B`, `<= ${f.carriedStateBoundBytes} B (32 KiB + 200 B per agent)`],
    ['worker peak RSS', f.workerRssMb === null ? 'n/a' : `${f.workerRssMb} MB`, ''],
    ['agent-rule violations / replays', `${run.violations} / ${run.replays}`, 'violations: 0'],
    ...PARTS.map((part): [string, string, string] => [
      `latency: ${PART_LABELS[part][0]}`,
      `${percentText(breakdown.parts[part])}; slowest 1%: ${round(breakdown.parts[part].tailMean)} ms`,
      PART_LABELS[part][1],
    ]),
  ];
  printTable(['figure', 'value', 'target / note'], rows);
  console.log(
    `Latency parts: p50 / p95 / p99 over all hand-overs (${breakdown.withSignal} of ${ledger.samples.length} ` +
      `joined to the signal that freed the agent); "slowest 1%": mean over the ${breakdown.tailSamples} hand-overs at or above p99.`,
  );
  console.log(`History events per call, by kind: ${kindsText(history.eventKinds, ledger.calls)}`);
}

export function printSweep(sweep: SweepResult, f: BenchFigures): void {
  console.log(`\nSweep: ${sweep.stoppedBecause}`);
  const rows = byAgents(sweep.steps).map((s): string[] => {
    const p = s.dispatchLatencyMs;
    return [
      String(s.scenario.agents),
      String(s.scenario.numbers),
      String(round(s.offeredCallsPerSecond, 1)),
      String(round(s.ledger.callsPerSecond, 1)),
      `${round(p.p50)} / ${round(p.p95)} / ${round(p.p99)}`,
      String(round(s.ledger.makespanEfficiency, 3)),
      s.completed ? 'yes' : 'no',
    ];
  });
  printTable(['agents', 'numbers', 'offered/s', 'achieved/s', 'dispatch p50/p95/p99 ms', 'efficiency', 'completed'], rows);
  console.log(
    `Knee (p99 <= ${sweep.kneeMs} ms): ${f.kneeCallsPerSecond ?? 'none'} calls/s (target >= ${TARGETS.kneeCallsPerSecond})`,
  );
}

/** Steps in order of offered rate (bisection steps run after the coarse ones). */
function byAgents(steps: readonly RunResult[]): RunResult[] {
  return [...steps].sort((a, b) => a.scenario.agents - b.scenario.agents);
}

/** Figures independent of the scenario: the reducer's agent listings, and a list import. */
export interface ScaleFigures {
  reducerListingMs: ListingCost[];
  import: ImportFigures | null;
}

export function printScale(f: ScaleFigures): void {
  const rows: string[][] = f.reducerListingMs.map((c) => [
    `reducer: one agent listing, ${c.agents} agents`,
    `${round(c.medianMs, 2)} ms median, ${round(c.maxMs, 2)} ms slowest`,
    'linear in the agents',
  ]);
  if (f.import) {
    const i = f.import;
    rows.push([`import: ${i.numbers} numbers of CSV`, `${i.seconds} s (${i.numbersPerSecond}/s), ${i.accepted} accepted`, '< 60 s']);
    rows.push(['import: API peak RSS', i.apiPeakRssMb === null ? 'n/a' : `${i.apiPeakRssMb} MB`, '< 400 MB']);
    rows.push([`import: ${i.dnc.entries} do-not-call numbers of CSV`, `${i.dnc.seconds} s, ${i.dnc.added} added`, 'seconds']);
  }
  console.log('');
  printTable(['figure', 'value', 'target / note'], rows);
}

/** The JSON object, alone on the last line of stdout. */
export function printJson(f: BenchFigures): void {
  console.log(JSON.stringify(f));
}

/** The kinds that make up most of the history, per call placed, largest first. */
function perCallByKind(kinds: Record<string, number>, calls: number): Record<string, number | null> {
  const sorted = Object.entries(kinds).sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(sorted.map(([kind, n]) => [kind, calls > 0 ? round(n / calls, 2) : null]));
}

function kindsText(kinds: Record<string, number>, calls: number): string {
  return Object.entries(perCallByKind(kinds, calls))
    .filter(([, n]) => n !== null && n >= 0.1)
    .map(([kind, n]) => `${kind.replace(/^workflowExecution|^workflowTask|^activityTask/, (m) => SHORT[m] ?? m)} ${n}`)
    .join(', ');
}

const SHORT: Record<string, string> = { workflowExecution: 'wf', workflowTask: 'wft', activityTask: 'act' };

function percentText(p: Percentiles): string {
  return `${round(p.p50)} / ${round(p.p95)} / ${round(p.p99)} ms`;
}

const PART_LABELS: Record<Part, [string, string]> = {
  freeToSignal: ['free -> signal', 'webhook, API, signal RPC'],
  signalToScheduled: ['signal -> placeCall scheduled', 'workflow task'],
  scheduledToStarted: ['scheduled -> started', 'activity task dispatch'],
  startedToRequest: ['started -> POST /calls', 'activity code + HTTP'],
};

function outcomes(o: Record<string, number>): string {
  return Object.entries(o)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
}
