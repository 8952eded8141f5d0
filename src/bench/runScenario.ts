/**
 * One measured run: a fresh simulator, the campaigns started through the API as an operator would,
 * a progress bar while they run, then the figures from the ledger and the workflow histories.
 */
import { SingleBar } from 'cli-progress';
import type { CallRecord, Simulator } from '../simulator/simulator';
import type { BenchEnvironment } from './environment';
import { historyFigures, type HistoryFigures } from './historyFigures';
import { latencyBreakdown, type LatencyBreakdown } from './latencyBreakdown';
import { ledgerFigures, type LedgerFigures } from './ledgerFigures';
import type { Scenario } from './options';
import { percentiles, type Percentiles } from './stats';

export interface RunResult {
  scenario: Scenario;
  /** Which Temporal it ran on. */
  temporal: string;
  /** Every campaign completed within the time bound. */
  completed: boolean;
  /** Final status of each campaign workflow (or why it has none). */
  statuses: string[];
  wallMs: number;
  dispatchLatencyMs: Percentiles;
  /** Agents / mean time a call holds its agent: the rate the agents could take with no dispatch delay. */
  offeredCallsPerSecond: number;
  ledger: LedgerFigures;
  history: HistoryFigures;
  breakdown: LatencyBreakdown;
  /** Agent-rule violations and idempotent replays the simulator recorded. */
  violations: number;
  replays: number;
  workerRssMb: number | null;
}

/** The simulator rings 1 simulated second after a call is initiated (src/simulator/calls.ts). */
const RINGING_AFTER_SEC = 1;
/** A run placing calls slower than this has stalled. */
const MIN_CALLS_PER_SEC = 10;

export async function runScenario(
  env: BenchEnvironment,
  scenario: Scenario,
  label: string,
  note: (line: string) => void,
): Promise<RunResult> {
  const { agents, ringSec, talkSec, wrapUpSec, answerRate, busyRate, failRate, timeScale, seed } = scenario;
  const sim = await env.startSimulator({ agents, ringSec, talkSec, wrapUpSec, answerRate, busyRate, failRate, timeScale, seed });
  const plans = planCampaigns(scenario, label);
  const started = Date.now();
  const workflowIds = await Promise.all(plans.map((plan) => postCampaign(env.apiUrl, plan)));
  note(`${label}: ${plans.length} campaign(s), ${scenario.numbers} numbers, ${agents} agents`);

  const mine = new Set(plans.map((p) => p.campaignId));
  const ourCalls = (): CallRecord[] => sim.ledger().calls.filter((c) => mine.has(c.campaignId));
  const bar = new SingleBar({
    format: ` ${label} {bar} {value}/{total} calls ended | {rate} calls/s`,
    noTTYOutput: true,
    notTTYSchedule: 5000,
    hideCursor: true,
  });
  bar.start(scenario.numbers, 0, { rate: '0' });
  const ticker = setInterval(() => {
    const ended = ourCalls().filter((c) => c.endedAt !== null).length;
    bar.update(ended, { rate: (ended / ((Date.now() - started) / 1000)).toFixed(1) });
  }, 500);

  let statuses: string[];
  let completed: boolean;
  try {
    ({ completed, statuses } = await (retriesOutlastRun(scenario)
      ? firstAttemptsMade(env, plans, workflowIds, ourCalls, scenario)
      : campaignsEnded(env, plans, workflowIds, scenario)));
    if (completed) await wrapUpsEnded(sim, mine, scenario);
  } finally {
    clearInterval(ticker);
    bar.update(ourCalls().filter((c) => c.endedAt !== null).length);
    bar.stop();
  }
  const wallMs = Date.now() - started;

  const snapshot = sim.ledger();
  const ledger = ledgerFigures(snapshot.calls.filter((c) => mine.has(c.campaignId)), agents);
  const history = await historyFigures(env.client, workflowIds);
  const ended = ledger.calls - ledger.unended;
  const meanHoldMs = ended > 0 ? ledger.busyMs / ended : Number.NaN;
  return {
    scenario,
    temporal: env.temporal,
    completed,
    statuses,
    wallMs,
    dispatchLatencyMs: percentiles(ledger.samples.map((s) => s.latencyMs)),
    offeredCallsPerSecond: agents / (meanHoldMs / 1000),
    ledger,
    history,
    breakdown: latencyBreakdown(ledger.samples, history),
    violations: snapshot.violations.filter((v) => mine.has(v.callId.split('.')[0]!)).length,
    replays: snapshot.replays,
    workerRssMb: await env.worker.peakRssMb(),
  };
}

interface RunEnd {
  completed: boolean;
  statuses: string[];
}

/** Waits for every campaign to end (cancelled if the time bound passes first). */
async function campaignsEnded(env: BenchEnvironment, plans: CampaignPlan[], workflowIds: string[], scenario: Scenario): Promise<RunEnd> {
  const boundMs = runBoundMs(scenario);
  const results = workflowIds.map((id) =>
    env.client.workflow
      .getHandle(id)
      .result()
      .then(
        () => 'completed',
        (err: unknown) => `failed: ${err instanceof Error ? err.message : String(err)}`,
      ),
  );
  const outcome = await Promise.race([Promise.all(results), sleep(boundMs).then(() => null)]);
  if (outcome === null) {
    await Promise.all(plans.map((p) => cancelCampaign(env.apiUrl, p.campaignId)));
    return { completed: false, statuses: workflowIds.map(() => `not finished within ${Math.round(boundMs / 1000)} s`) };
  }
  return { completed: outcome.every((s) => s === 'completed'), statuses: outcome };
}

/**
 * Retries that fall due after the run could ever end wait in the database: the run ends once every
 * number has had its first attempt and no call is in flight; the campaigns are then cancelled.
 */
async function firstAttemptsMade(
  env: BenchEnvironment,
  plans: CampaignPlan[],
  workflowIds: string[],
  ourCalls: () => CallRecord[],
  scenario: Scenario,
): Promise<RunEnd> {
  const boundMs = timeBoundMs(scenario);
  const giveUpAt = Date.now() + boundMs;
  const made = (): boolean => {
    const calls = ourCalls();
    return calls.every((c) => c.endedAt !== null) && new Set(calls.map((c) => c.to)).size >= scenario.numbers;
  };
  while (!made() && Date.now() < giveUpAt) await sleep(250);
  const done = made();
  await Promise.all(plans.map((p) => cancelCampaign(env.apiUrl, p.campaignId)));
  await Promise.all(workflowIds.map((id) => env.client.workflow.getHandle(id).result().catch(() => undefined)));
  const status = done ? 'every first attempt made, retries waiting: cancelled' : `first attempts not made within ${Math.round(boundMs / 1000)} s`;
  return { completed: done, statuses: workflowIds.map(() => status) };
}

function retriesOutlastRun(s: Scenario): boolean {
  return s.maxAttempts > 1 && s.retryDelaySec * 1000 > timeBoundMs(s);
}

interface CampaignPlan {
  campaignId: string;
  agentIds: string[];
  numbers: string[];
  maxAttempts: number;
  retryDelaySec: number;
}

/** Agents a1..aN (the simulator's ids) and the numbers, split into contiguous shares. */
function planCampaigns(s: Scenario, label: string): CampaignPlan[] {
  const stamp = Date.now().toString(36);
  const plans: CampaignPlan[] = [];
  let agent = 0;
  let number = 0;
  for (let i = 0; i < s.campaigns; i++) {
    const agentCount = share(s.agents, s.campaigns, i);
    const numberCount = share(s.numbers, s.campaigns, i);
    plans.push({
      campaignId: `bench-${label}-${stamp}-${i + 1}`.replace(/[^A-Za-z0-9_-]/g, '-'),
      agentIds: Array.from({ length: agentCount }, (_, k) => `a${agent + k + 1}`),
      // Distinct valid Chinese mobile numbers, distinct across campaigns too.
      numbers: Array.from({ length: numberCount }, (_, k) => `+86138${String(number + k).padStart(8, '0')}`),
      maxAttempts: s.maxAttempts,
      retryDelaySec: s.retryDelaySec,
    });
    agent += agentCount;
    number += numberCount;
  }
  return plans;
}

function share(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

async function postCampaign(apiUrl: string, plan: CampaignPlan): Promise<string> {
  const res = await fetch(`${apiUrl}/campaigns`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      campaignId: plan.campaignId,
      name: `Benchmark ${plan.campaignId}`,
      numbers: plan.numbers,
      agentIds: plan.agentIds,
      // Measured at any hour: the simulated numbers reach nobody.
      settings: { maxAttempts: plan.maxAttempts, retryDelaySec: plan.retryDelaySec, callingHours: { start: '00:00', end: '24:00' } },
    }),
  });
  const body = (await res.json().catch(() => ({}))) as { workflowId?: string; accepted?: number; error?: { message?: string } };
  if (res.status !== 201 || body.workflowId === undefined) {
    throw new Error(`POST /campaigns ${plan.campaignId}: ${res.status} ${body.error?.message ?? ''}`);
  }
  if (body.accepted !== plan.numbers.length) {
    throw new Error(`POST /campaigns ${plan.campaignId}: ${body.accepted} of ${plan.numbers.length} numbers accepted`);
  }
  return body.workflowId;
}

/** A run cut short stops dialling, so the next run (or the shutdown) is not disturbed by it. */
async function cancelCampaign(apiUrl: string, campaignId: string): Promise<void> {
  await fetch(`${apiUrl}/campaigns/${campaignId}/cancel`, { method: 'POST' }).catch(() => undefined);
}

/**
 * The campaign completes when its last call ends; the agents' wrap-ups after it are still part of
 * the makespan, so wait for them (bounded: an agent set busy by someone else never reports one).
 */
async function wrapUpsEnded(sim: Simulator, mine: ReadonlySet<string>, s: Scenario): Promise<void> {
  const giveUpAt = Date.now() + s.wrapUpSec[1] * 1000 * s.timeScale + 2_000;
  while (Date.now() < giveUpAt) {
    const open = sim.ledger().calls.some((c) => mine.has(c.campaignId) && c.outcome === 'completed' && c.wrapUpEndedAt === null);
    if (!open) return;
    await sleep(100);
  }
}

/**
 * Generous: three times the slowest possible first attempts with no dispatch delay at all, plus the
 * time to place every call at MIN_CALLS_PER_SEC (where short calls make the dialer the limit, not the
 * agents), plus a minute.
 */
function timeBoundMs(s: Scenario): number {
  const longestCallSec = RINGING_AFTER_SEC + s.ringSec[1] + s.talkSec[1] + s.wrapUpSec[1];
  const rounds = Math.ceil(s.numbers / s.agents);
  return 3 * rounds * longestCallSec * s.timeScale * 1000 + (s.numbers / MIN_CALLS_PER_SEC) * 1000 + 60_000;
}

/** The first attempts' bound, and as many again with the retry delay for each further attempt. */
function runBoundMs(s: Scenario): number {
  return timeBoundMs(s) * s.maxAttempts + (s.maxAttempts - 1) * s.retryDelaySec * 1000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
