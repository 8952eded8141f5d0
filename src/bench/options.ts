/** `npm run bench` flags: the scenario (agents, numbers, call timings) and the sweep. */
import { parseArgs } from 'node:util';
import { MAX_NUMBERS } from '../api/campaignRequest';
import type { TemporalKind } from './environment';

export interface Scenario {
  agents: number;
  numbers: number;
  /** Campaigns run at once; agents and numbers are split among them. */
  campaigns: number;
  /** Simulated seconds, [min, max]. */
  ringSec: [number, number];
  talkSec: [number, number];
  wrapUpSec: [number, number];
  answerRate: number;
  busyRate: number;
  failRate: number;
  /** Real ms = simulated s * 1000 * timeScale. */
  timeScale: number;
  seed: number;
  /** The campaigns' settings.maxAttempts and settings.retryDelaySec (real seconds). */
  maxAttempts: number;
  retryDelaySec: number;
}

export interface BenchOptions {
  scenario: Scenario;
  /** The dialer's catch-up timings, as AGENT_POLL_SEC and CALL_SILENCE_SEC. */
  agentPollSec: number;
  callSilenceSec: number;
  /** Where to write every hand-over's timestamps (see dump.ts), if anywhere. */
  dumpFile: string | null;
  /** Numbers of the CSV import measured through the API in its own process; 0: not measured. */
  importNumbers: number;
  temporal: TemporalKind;
  sweep: null | {
    /** Agents of each step, in order; numbers = agents * callsPerAgent. */
    agents: number[];
    callsPerAgent: number;
    /** The step whose p99 dispatch latency passes this ends the sweep. */
    kneeMs: number;
    /** Extra steps bisecting between the last step under the knee and the first over it. */
    refine: number;
    /** Re-runs of a step over the knee before it counts as over (p99 of a few hundred samples is noisy). */
    confirm: number;
  };
}

export class UsageError extends Error {}

export const USAGE = `npm run bench -- [options]

  --agents N            agents (default 50)
  --numbers N           numbers to dial (default 2000)
  --campaigns N         campaigns at once, agents and numbers split among them (default 1)
  --ring S|MIN-MAX      ring time before answer, simulated seconds (default 0)
  --talk S|MIN-MAX      talk time (default 1)
  --wrapup S|MIN-MAX    wrap-up after an answered call (default 0)
  --answer-rate R       share of calls answered (default 1); --busy-rate, --fail-rate (default 0)
  --time-scale X        real ms per simulated ms (default 1)
  --seed N              simulator seed (default 42)
  --max-attempts N      the campaigns' maxAttempts (default 1)
  --retry-delay-sec S   their retryDelaySec, real seconds (default 300); a retry that cannot fall due
                        within the run ends it once every number has had its first attempt
  --temporal dev|cluster  the Temporal CLI dev server (default), or the v1.29.1 server as a two-node
                        cluster on PostgreSQL (built with Go into the cache when missing)
  --import-numbers N    also time a CSV import of N numbers into an API process, with its peak RSS
                        (default 1000000; 0: skip)
  --agent-poll-sec S    the dialer's GET /agents period (default 5)
  --call-silence-sec S  the dialer looks up calls silent this long (default 60)
  --sweep               raise the offered rate (more agents, fixed calls) until p99 dispatch passes --knee-ms
  --sweep-agents LIST   agents per step (default 10,20,40,80,120,160,200,250,300,400,500)
  --calls-per-agent N   numbers per agent in each sweep step (default 10)
  --knee-ms MS          p99 dispatch latency that ends the sweep (default 250)
  --refine N            then bisect N times between the last step under and the first over (default 2)
  --confirm N           re-run a step over the knee N times; it is over only if all runs are (default 1)
  --dump FILE           write every hand-over's timestamps and the campaigns' runs to FILE (JSON)
`;

const DEFAULT_SWEEP = [10, 20, 40, 80, 120, 160, 200, 250, 300, 400, 500];

export function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      agents: { type: 'string', default: '50' },
      numbers: { type: 'string', default: '2000' },
      campaigns: { type: 'string', default: '1' },
      ring: { type: 'string', default: '0' },
      talk: { type: 'string', default: '1' },
      wrapup: { type: 'string', default: '0' },
      'answer-rate': { type: 'string', default: '1' },
      'busy-rate': { type: 'string', default: '0' },
      'fail-rate': { type: 'string', default: '0' },
      'time-scale': { type: 'string', default: '1' },
      seed: { type: 'string', default: '42' },
      'max-attempts': { type: 'string', default: '1' },
      'retry-delay-sec': { type: 'string', default: '300' },
      'import-numbers': { type: 'string', default: '1000000' },
      temporal: { type: 'string', default: 'dev' },
      'agent-poll-sec': { type: 'string', default: '5' },
      'call-silence-sec': { type: 'string', default: '60' },
      sweep: { type: 'boolean', default: false },
      'sweep-agents': { type: 'string' },
      'calls-per-agent': { type: 'string', default: '10' },
      'knee-ms': { type: 'string', default: '250' },
      refine: { type: 'string', default: '2' },
      confirm: { type: 'string', default: '1' },
      dump: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) return 'help';

  const scenario: Scenario = {
    agents: integer('agents', v.agents, 1),
    numbers: integer('numbers', v.numbers, 1),
    campaigns: integer('campaigns', v.campaigns, 1),
    ringSec: range('ring', v.ring),
    talkSec: range('talk', v.talk),
    wrapUpSec: range('wrapup', v.wrapup),
    answerRate: rate('answer-rate', v['answer-rate']),
    busyRate: rate('busy-rate', v['busy-rate']),
    failRate: rate('fail-rate', v['fail-rate']),
    timeScale: positive('time-scale', v['time-scale']),
    seed: integer('seed', v.seed, 0),
    maxAttempts: integer('max-attempts', v['max-attempts'], 1),
    retryDelaySec: integer('retry-delay-sec', v['retry-delay-sec'], 0),
  };
  if (scenario.answerRate + scenario.busyRate + scenario.failRate > 1 + 1e-9) {
    throw new UsageError('--answer-rate + --busy-rate + --fail-rate must not exceed 1');
  }
  if (scenario.campaigns > scenario.agents) throw new UsageError('--campaigns must not exceed --agents');
  if (scenario.numbers / scenario.campaigns > MAX_NUMBERS) {
    throw new UsageError(`at most ${MAX_NUMBERS} numbers per campaign: raise --campaigns`);
  }
  if (Number(v['import-numbers']) > MAX_NUMBERS) throw new UsageError(`--import-numbers must not exceed ${MAX_NUMBERS}`);

  const sweep = v.sweep
    ? {
        agents: v['sweep-agents'] === undefined ? DEFAULT_SWEEP : list('sweep-agents', v['sweep-agents']),
        callsPerAgent: integer('calls-per-agent', v['calls-per-agent'], 1),
        kneeMs: positive('knee-ms', v['knee-ms']),
        refine: integer('refine', v.refine, 0),
        confirm: integer('confirm', v.confirm, 0),
      }
    : null;
  return {
    scenario,
    agentPollSec: positive('agent-poll-sec', v['agent-poll-sec']),
    callSilenceSec: positive('call-silence-sec', v['call-silence-sec']),
    dumpFile: v.dump ?? null,
    importNumbers: integer('import-numbers', v['import-numbers'], 0),
    temporal: temporalKind(v.temporal),
    sweep,
  };
}

function integer(name: string, text: string | undefined, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}`);
  return n;
}

function temporalKind(text: string | undefined): TemporalKind {
  if (text === 'dev' || text === 'cluster') return text;
  throw new UsageError('--temporal must be dev or cluster');
}

function positive(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number`);
  return n;
}

function rate(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--${name} must be between 0 and 1`);
  return n;
}

/** "1" (fixed) or "1-3" (uniform), in simulated seconds. */
function range(name: string, text: string | undefined): [number, number] {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?$/.exec(text ?? '');
  if (!m) throw new UsageError(`--${name} must be seconds or "min-max", e.g. 1 or 1-3`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (min > max) throw new UsageError(`--${name}: min must not exceed max`);
  return [min, max];
}

function list(name: string, text: string): number[] {
  const steps = text.split(',').map((s) => integer(name, s.trim(), 1));
  if (steps.length === 0) throw new UsageError(`--${name} must list agent counts, e.g. 10,20,40`);
  return steps;
}
