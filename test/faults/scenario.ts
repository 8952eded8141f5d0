/**
 * The fault-injection scenario: a Temporal dev server, the simulator, the API and the worker as
 * separate processes, one campaign, and every fault of the list injected on purpose while it runs.
 * The simulator's ledger then judges the dialer (see ledgerChecks.ts).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CampaignProgress } from '../../src/shared/types';
import type { FaultsPatch, InjectedFaults, LedgerSnapshot } from '../../src/simulator/simulator';
import { mulberry32 } from '../../src/simulator/rng';
import { type DevServer, freePort, isPortFree, startDevServer } from '../../src/temporal/devServer';
import { eventually } from '../support/eventually';
import { testNumbers } from '../support/inProcessDialer';
import { checkLedger, type LedgerFigures } from '../support/ledgerChecks';
import { getJson, type Managed, processDialer, startProcess } from '../support/processes';

export interface ScenarioOptions {
  numbers: number;
  agents: number;
  /** How many of the agents flap between idle, busy and offline all along. */
  flappingAgents: number;
  seed: number;
}

export interface ScenarioFigures extends LedgerFigures {
  scenario: ScenarioOptions & { maxAttempts: number };
  status: string;
  calls: number;
  replays: number;
  workerKills: number;
  serverKills: number;
  databaseKills: number;
  /** While PostgreSQL was down: what GET /campaigns answered, and the campaign's status meanwhile. */
  databaseOutage: { apiStatus: number; apiCode: unknown; campaignStatus: string };
  apiRestarts: number;
  agentSystemOutages: number;
  agentFlaps: number;
  injected: InjectedFaults;
  /** Calls first requested more than a second after the pause was accepted (expected 0). */
  dialsAfterPause: number;
  /** The cancelled campaign: its final status, and the status a resume got afterwards. */
  cancel: { status: string; resumeStatus: number; resumeCode: unknown };
  seconds: number;
}

const MAX_ATTEMPTS = 2;
const CAMPAIGN = 'faults';
const CANCELLED = 'faults-cancelled';

/** Faults on from the first call to the last; phases add kills, restarts and outages on top. */
const STEADY_FAULTS: FaultsPatch = {
  callErrorRate: 0.05,
  callHangRate: 0.02,
  callLostResponseRate: 0.05,
  webhookDropRate: 0.1,
  webhookDuplicateRate: 0.25,
  webhookReorderRate: 0.1,
  webhookDelayMs: [0, 200],
};

export async function runFaultScenario(
  o: ScenarioOptions,
  note: (line: string) => void,
  /** Every process's output is written here at the end, even when the scenario fails half-way. */
  logFile: string,
): Promise<{ figures: ScenarioFigures; output: string }> {
  const started = Date.now();
  const tmp = await mkdtemp(join(tmpdir(), 'dialer-faults-'));
  // Run as root, PostgreSQL runs as the user postgres, which must reach its data in here.
  await chmod(tmp, 0o711);
  const dbFilename = join(tmp, 'temporal.sqlite');
  const [temporalPort, postgresPort] = await Promise.all([freePort(), freePort()]);
  const startDatabase = (): Promise<EmbeddedDatabase> => embeddedDatabase(join(tmp, 'postgres'), postgresPort);
  let database = await startDatabase();
  const { api, sim, all, start } = await processDialer('faults', {
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    SIM_AGENTS: String(o.agents),
    SIM_SEED: String(o.seed),
    SIM_FAULTS: JSON.stringify(STEADY_FAULTS),
    // The dialer may act on what it knew up to 2 s before a call reaches the provider.
    SIM_AGENT_REPORT_GRACE_MS: '2000',
    CALL_SILENCE_SEC: '3',
  });
  const startServer = (): Promise<DevServer> => startDevServer({ dbFilename, port: temporalPort, uiPort: null });

  let server = await startServer();
  let worker: Managed | undefined;
  let flapping = true;
  let flapper: Promise<number> = Promise.resolve(0);
  const counts = { workerKills: 0, serverKills: 0, databaseKills: 0, apiRestarts: 0, agentSystemOutages: 0 };
  try {
    const [, apiProcess] = await Promise.all([
      start('simulator', 'simulator listening'),
      start('api', 'api listening'),
      start('worker', 'worker ready').then((w) => (worker = w)),
    ]);
    let apiNow = apiProcess;

    const numbers = testNumbers(o.numbers, '134');
    const agentIds = Array.from({ length: o.agents }, (_, i) => `a${i + 1}`);
    const created = await postJson(`${api}/campaigns`, {
      campaignId: CAMPAIGN,
      numbers,
      agentIds,
      settings: { maxAttempts: MAX_ATTEMPTS, retryDelaySec: 1 },
    });
    if (created.status !== 201) throw new Error(`campaign not created: ${created.status} ${JSON.stringify(created.body)}`);

    const ledger = async (): Promise<LedgerSnapshot> => (await getJson<LedgerSnapshot>(`${sim}/_sim/ledger`)).body;
    const injected = async (): Promise<InjectedFaults> =>
      (await getJson<{ injected: InjectedFaults }>(`${sim}/_sim/faults`)).body.injected;
    const setFaults = async (patch: FaultsPatch): Promise<void> => {
      const res = await postJson(`${sim}/_sim/faults`, patch);
      if (res.status !== 200) throw new Error(`faults refused: ${JSON.stringify(res.body)}`);
    };
    const dialled = async (): Promise<number> => (await ledger()).calls.filter((c) => c.campaignId === CAMPAIGN).length;
    const reach = async (share: number): Promise<void> => {
      const target = Math.ceil(o.numbers * share);
      await until(`${target} numbers dialled`, dialled, (n) => n >= target, 180_000);
    };
    const restartWorker = async (why: string): Promise<void> => {
      await worker!.kill('SIGKILL');
      counts.workerKills++;
      note(`worker SIGKILLed (${why})`);
      worker = await start('worker', 'worker ready');
    };

    flapper = flapAgents(sim, agentIds.slice(-o.flappingAgents), o.seed, () => flapping);

    /** Turns one call fault fully on until the provider has played it once, then SIGKILLs the worker. */
    const killWorkerAfter = async (
      fault: 'callHangRate' | 'callLostResponseRate',
      counter: 'callHangs' | 'callLostResponses',
      why: string,
    ): Promise<void> => {
      const before = (await injected())[counter];
      await setFaults({ callErrorRate: 0, callHangRate: 0, callLostResponseRate: 0, [fault]: 1 });
      await until(why, injected, (i) => i[counter] > before, 60_000);
      await setFaults(STEADY_FAULTS);
      await restartWorker(why);
    };

    // 1. A worker killed while a POST /calls hangs in flight at the provider.
    await reach(0.1);
    await killWorkerAfter('callHangRate', 'callHangs', 'POST /calls in flight');

    // 2. A worker killed just after the provider placed a call whose response was lost.
    await reach(0.2);
    await killWorkerAfter('callLostResponseRate', 'callLostResponses', 'placed call, response lost');

    // 3. The Temporal server killed, and restarted on the same database file.
    await reach(0.3);
    process.kill(server.pid!, 'SIGKILL');
    counts.serverKills++;
    note('Temporal dev server SIGKILLed');
    await until('the server port free', () => isPortFree(temporalPort), Boolean, 10_000);
    await new Promise((r) => setTimeout(r, 2_000));
    server = await startServer();
    note('Temporal dev server restarted on the same database');

    // 4. The API killed and restarted: webhooks fail meanwhile and the simulator resends them.
    await reach(0.4);
    await apiNow.kill('SIGKILL');
    counts.apiRestarts++;
    note('API SIGKILLed');
    await new Promise((r) => setTimeout(r, 1_000));
    apiNow = await start('api', 'api listening');

    // 5. Pause: no new call reaches the provider a second after the pause is accepted; then resume.
    await reach(0.5);
    const paused = await postJson(`${api}/campaigns/${CAMPAIGN}/pause`, {});
    if (paused.status !== 200) throw new Error(`pause answered ${paused.status}`);
    const pausedAt = Date.now();
    await new Promise((r) => setTimeout(r, 2_500));
    const dialsAfterPause = (await ledger()).calls.filter(
      (c) => c.campaignId === CAMPAIGN && c.firstRequestedAt > pausedAt + 1_000,
    ).length;
    const resumed = await postJson(`${api}/campaigns/${CAMPAIGN}/resume`, {});
    if (resumed.status !== 200) throw new Error(`resume answered ${resumed.status}`);

    // 6. The agent system down for a while: listings refused, changes lost.
    await reach(0.6);
    await setFaults({ agentSystemDown: true });
    counts.agentSystemOutages++;
    note('agent system down');
    await new Promise((r) => setTimeout(r, 3_000));
    await setFaults({ agentSystemDown: false });

    // 7. PostgreSQL SIGKILLed: the API answers 503 and the campaign waits; restarted on the same data.
    await reach(0.65);
    process.kill(database.pid, 'SIGKILL');
    counts.databaseKills++;
    note('PostgreSQL SIGKILLed');
    await database.process.kill('SIGTERM');
    const refused = await until(
      'GET /campaigns to answer 503',
      () => getJson<{ error?: { code?: unknown } }>(`${api}/campaigns`),
      (r) => r.status === 503,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 3_000));
    const during = await getJson<CampaignProgress>(`${api}/campaigns/${CAMPAIGN}`);
    const databaseOutage = { apiStatus: refused.status, apiCode: refused.body.error?.code, campaignStatus: during.body.status };
    database = await startDatabase();
    note('PostgreSQL restarted on the same data');

    // 8. A third worker kill, with nothing special in flight.
    await reach(0.7);
    await restartWorker('mid-batch');

    const final = await until(
      'the campaign ended',
      async () => (await getJson<CampaignProgress>(`${api}/campaigns/${CAMPAIGN}`)).body,
      (p) => Boolean(p.completedAt),
      300_000,
    );
    flapping = false;
    const agentFlaps = await flapper;

    // 9. Cancel, still under webhook faults: it ends `cancelled`, and a later resume is refused.
    const cancelled = await cancelCampaign(api, testNumbers(30, '135'), agentIds, () =>
      ledger().then((l) => l.calls.filter((c) => c.campaignId === CANCELLED).length),
    );
    const snapshot = await ledger();
    const figures: ScenarioFigures = {
      scenario: { ...o, maxAttempts: MAX_ATTEMPTS },
      status: final.status,
      ...checkLedger(snapshot, CAMPAIGN, numbers, final, MAX_ATTEMPTS),
      calls: snapshot.calls.length,
      replays: snapshot.replays,
      ...counts,
      databaseOutage,
      agentFlaps,
      injected: await injected(),
      dialsAfterPause,
      cancel: cancelled,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    for (const v of snapshot.violations) note(`violation ${v.type} ${v.callId}: ${v.detail}`);
    return { figures, output: outputOf(all) };
  } finally {
    await writeFile(logFile, outputOf(all));
    flapping = false;
    await flapper.catch(() => 0);
    await Promise.all(all.map((p) => p.kill('SIGTERM')));
    await database.process.kill('SIGTERM');
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

interface EmbeddedDatabase {
  process: Managed;
  url: string;
  /** The postmaster's. */
  pid: number;
}

/**
 * The dialer's database as a process of its own, so the scenario can SIGKILL the postmaster. Started
 * again on the same data it recovers; until the killed server's backends have noticed and exited,
 * PostgreSQL refuses to start, so that is tried again for a while.
 */
async function embeddedDatabase(dataDir: string, port: number): Promise<EmbeddedDatabase> {
  const giveUpAt = Date.now() + 30_000;
  for (;;) {
    const p = startProcess('postgres', {}, ['--data-dir', dataDir, '--port', String(port)]);
    try {
      await p.waitFor('"ready":true');
      const line = p.output().split('\n').find((l) => l.startsWith('{"ready":true'))!;
      const { url, pid } = JSON.parse(line) as { url: string; pid: number };
      return { process: p, url, pid };
    } catch (err) {
      await p.kill('SIGTERM');
      if (Date.now() > giveUpAt) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

function outputOf(processes: Managed[]): string {
  return processes.map((p) => `----- ${p.role} (pid ${p.child.pid})\n${p.output()}`).join('\n');
}

export async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const value = await eventually(read, done, timeoutMs);
  if (!done(value)) throw new Error(`not reached within ${timeoutMs} ms: ${what} (last read: ${JSON.stringify(value)})`);
  return value;
}

async function cancelCampaign(
  api: string,
  numbers: string[],
  agentIds: string[],
  dialled: () => Promise<number>,
): Promise<ScenarioFigures['cancel']> {
  const created = await postJson(`${api}/campaigns`, { campaignId: CANCELLED, numbers, agentIds });
  if (created.status !== 201) throw new Error(`campaign not created: ${created.status}`);
  await until('a few calls of the campaign to cancel', dialled, (n) => n >= 3, 60_000);
  const cancel = await postJson(`${api}/campaigns/${CANCELLED}/cancel`, {});
  if (cancel.status !== 200) throw new Error(`cancel answered ${cancel.status}`);
  const ended = await until(
    'the cancelled campaign ended',
    async () => (await getJson<CampaignProgress>(`${api}/campaigns/${CANCELLED}`)).body,
    (p) => Boolean(p.completedAt),
    120_000,
  );
  const resume = await postJson(`${api}/campaigns/${CANCELLED}/resume`, {});
  return { status: ended.status, resumeStatus: resume.status, resumeCode: (resume.body as { error?: { code?: unknown } })?.error?.code };
}

/** Agents going idle, busy and offline at random (seeded) until told to stop; ends with them idle. */
async function flapAgents(sim: string, agentIds: string[], seed: number, going: () => boolean): Promise<number> {
  const rng = mulberry32(seed);
  const statuses = ['idle', 'idle', 'busy', 'offline'] as const;
  let flaps = 0;
  while (going() && agentIds.length > 0) {
    const agentId = agentIds[Math.floor(rng() * agentIds.length)]!;
    await postJson(`${sim}/_sim/agents/${agentId}`, { status: statuses[Math.floor(rng() * statuses.length)] });
    flaps++;
    await new Promise((r) => setTimeout(r, 150 + rng() * 350));
  }
  await Promise.all(agentIds.map((id) => postJson(`${sim}/_sim/agents/${id}`, { status: 'idle' })));
  return flaps;
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}
