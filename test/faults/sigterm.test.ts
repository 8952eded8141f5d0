/**
 * Graceful shutdown, the way an orchestrator stops the dialer for a deploy: SIGTERM, then SIGKILL once
 * the grace period (docker-compose.yml's stop_grace_period) is over. Mid-campaign, the worker and then
 * the API get a SIGTERM, must exit 0 within that grace, and are started again; the API must finish a
 * request it had already taken. The simulator's ledger then shows nothing lost and nothing dialled
 * twice. The same campaign checks what the Temporal UI shows of a run.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { workflowIdFor } from '../../src/shared/callId';
import type { CampaignProgress } from '../../src/shared/types';
import type { InjectedFaults, LedgerSnapshot } from '../../src/simulator/simulator';
import { freePort } from '../../src/temporal/devServer';
import { testNumbers } from '../support/inProcessDialer';
import { checkLedger, CLEAN } from '../support/ledgerChecks';
import { getJson, type Managed, processDialer } from '../support/processes';
import { testConnection } from '../support/temporal';
import { postJson, until } from './scenario';

jest.setTimeout(300_000);

const NUMBERS = 80;
const AGENTS = 6;
const MAX_ATTEMPTS = 2;

/** The stop_grace_period docker-compose.yml gives a service, in ms. */
function composeGraceMs(service: 'api' | 'worker'): number {
  const file = YAML.parse(readFileSync(path.resolve(__dirname, '../../docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { stop_grace_period?: string }>;
  };
  const grace = /^(\d+)s$/.exec(file.services[service]?.stop_grace_period ?? '');
  if (!grace) throw new Error(`docker-compose.yml: no stop_grace_period in seconds for ${service}`);
  return Number(grace[1]) * 1000;
}

/** SIGTERM, and how the process ended: its exit code and how long it took. */
async function terminate(p: Managed): Promise<{ code: number | null; ms: number }> {
  const sent = Date.now();
  const code = await p.kill('SIGTERM');
  return { code, ms: Date.now() - sent };
}

/**
 * A POST whose body is sent only after `whileOpen` ran: the server has taken the request (it answered
 * `100 Continue`) but cannot answer before the body arrives, so the request is in flight for certain.
 */
function postInFlight(
  url: string,
  body: unknown,
  whileOpen: () => Promise<void>,
): Promise<{ status: number; body: string }> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': payload.length, expect: '100-continue' },
    });
    req.on('error', reject);
    req.on('continue', () => {
      whileOpen().then(() => req.end(payload), reject);
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
  });
}

/** What the Temporal UI reads through `__temporal_workflow_metadata` (the fields used here). */
interface WorkflowMetadata {
  currentDetails?: string | null;
  definition?: { queryDefinitions?: Array<{ name?: string | null; description?: string | null }> | null } | null;
}

it('SIGTERM to the worker and then to the API mid-campaign: both exit 0 in their grace, nothing is lost or dialled twice', async () => {
  const workerGraceMs = composeGraceMs('worker');
  const apiGraceMs = composeGraceMs('api');
  const dialer = await processDialer('sigterm', {
    WORKER_METRICS_PORT: String(await freePort()),
    SIM_AGENTS: String(AGENTS + 2),
    SIM_SEED: '23',
    // Webhooks lost while the API is down are caught up by polling and lookups.
    CALL_SILENCE_SEC: '3',
  });
  const { api, sim, all, start } = dialer;

  const suffix = randomBytes(3).toString('hex');
  const campaignId = `sigterm-${suffix}`;
  const lateId = `sigterm-late-${suffix}`;
  const numbers = testNumbers(NUMBERS, '136');
  const lateNumbers = testNumbers(5, '137');
  const agentIds = Array.from({ length: AGENTS }, (_, i) => `a${i + 1}`);
  // Its own agents: two campaigns sharing one would double-book them (the ledger counts across campaigns).
  const lateAgentIds = [`a${AGENTS + 1}`, `a${AGENTS + 2}`];
  const ledger = async (): Promise<LedgerSnapshot> => (await getJson<LedgerSnapshot>(`${sim}/_sim/ledger`)).body;
  const dialled = async (): Promise<number> => (await ledger()).calls.filter((c) => c.campaignId === campaignId).length;
  const reach = (share: number): Promise<number> =>
    until(`${share * 100}% of the numbers dialled`, dialled, (n) => n >= share * NUMBERS, 120_000);
  const note = (line: string): boolean => process.stderr.write(`[sigterm] ${line}\n`);
  const hangs = async (): Promise<number> =>
    (await getJson<{ injected: InjectedFaults }>(`${sim}/_sim/faults`)).body.injected.callHangs;
  const setCallHangRate = async (callHangRate: number): Promise<void> => {
    expect((await postJson(`${sim}/_sim/faults`, { callHangRate })).status).toBe(200);
  };

  try {
    const [, firstApi, firstWorker] = await Promise.all([
      start('simulator', 'simulator listening'),
      start('api', 'api listening'),
      start('worker', 'worker ready'),
    ]);
    const created = await postJson(`${api}/campaigns`, {
      campaignId,
      name: 'Graceful shutdown',
      numbers,
      agentIds,
      settings: { maxAttempts: MAX_ATTEMPTS, retryDelaySec: 1 },
    });
    expect(created.status).toBe(201);

    // 1. The worker, while a POST /calls hangs at the provider: it waits for that activity (its
    // request times out; the next worker retries it with the same key) and exits 0 within its grace.
    await reach(0.25);
    await setCallHangRate(1);
    await until('a POST /calls hanging at the provider', hangs, (n) => n > 0, 60_000);
    await setCallHangRate(0);
    const worker = await terminate(firstWorker);
    note(`worker exited ${worker.code} ${worker.ms} ms after SIGTERM, a POST /calls in flight (grace ${workerGraceMs} ms)`);
    expect(worker.code).toBe(0);
    expect(worker.ms).toBeLessThan(workerGraceMs);
    expect(firstWorker.output()).toContain('worker stopped');
    await start('worker', 'worker ready');

    // The UI's "Current details" follow the run (read the way the UI reads them).
    const { client } = await testConnection();
    const handle = client.workflow.getHandle(workflowIdFor(campaignId));
    const running = await handle.query<WorkflowMetadata>('__temporal_workflow_metadata');
    expect(running.currentDetails).toMatch(new RegExp(`^\\*\\*(running|paused)\\*\\*: \\d+ of ${NUMBERS} finished`));

    // 2. The API, with a request in flight: the request is answered, then the API exits 0.
    await reach(0.5);
    let apiExit: Promise<{ code: number | null; ms: number }> | undefined;
    let apiExitedFirst = false;
    const late = await postInFlight(
      `${api}/campaigns`,
      { campaignId: lateId, name: 'Sent across a SIGTERM', numbers: lateNumbers, agentIds: lateAgentIds },
      async () => {
        apiExit = terminate(firstApi);
        void apiExit.then(() => (apiExitedFirst = true));
        await firstApi.waitFor('"msg":"stopping"', 10_000); // the body goes only once the API is stopping
      },
    );
    expect({ status: late.status, apiExitedFirst }).toEqual({ status: 201, apiExitedFirst: false });
    const apiStop = await apiExit!;
    note(`api exited ${apiStop.code} ${apiStop.ms} ms after SIGTERM (grace ${apiGraceMs} ms)`);
    expect(apiStop.code).toBe(0);
    expect(apiStop.ms).toBeLessThan(apiGraceMs);
    expect(firstApi.output()).toContain('api stopped');

    // Down for a second: webhooks fail meanwhile and the simulator sends them again.
    await new Promise((r) => setTimeout(r, 1_000));
    await start('api', 'api listening');

    const ended = (id: string) =>
      until(
        `${id} ended`,
        async () => (await getJson<CampaignProgress>(`${api}/campaigns/${id}`)).body,
        (p) => Boolean(p.completedAt),
        180_000,
      );
    const [final, lateFinal] = await Promise.all([ended(campaignId), ended(lateId)]);
    const snapshot = await ledger();
    expect(final.status).toBe('completed');
    expect(lateFinal.status).toBe('completed');
    expect(checkLedger(snapshot, campaignId, numbers, final, MAX_ATTEMPTS)).toEqual(CLEAN);
    expect(checkLedger(snapshot, lateId, lateNumbers, lateFinal)).toEqual(CLEAN);

    // 3. What the Temporal UI shows of the run: summary, details, current details, the progress query.
    const description = await handle.describe();
    const summary = await description.staticSummary();
    const details = await description.staticDetails();
    const metadata = await handle.query<WorkflowMetadata>('__temporal_workflow_metadata');
    expect(summary).toBe(`Graceful shutdown: ${NUMBERS} numbers, ${AGENTS} agents`);
    expect(details).toContain(`**Agents**: ${agentIds.join(', ')}`);
    expect(details).toContain(`up to ${MAX_ATTEMPTS} attempts per number`);
    expect(metadata.currentDetails).toContain(`**completed**: ${NUMBERS} of ${NUMBERS} finished, 0 in flight, 0 pending`);
    const progress = metadata.definition?.queryDefinitions?.find((q) => q.name === 'progress');
    expect(progress?.description).toMatch(/No arguments/);
    // Anyone who can see the namespace sees these: no phone number in them.
    expect(JSON.stringify([summary, details, metadata.currentDetails])).not.toMatch(/\d{9,}/);
  } finally {
    writeFileSync(
      path.join(tmpdir(), 'dialer-sigterm.log'),
      all.map((p) => `----- ${p.role} (pid ${p.child.pid})\n${p.output()}`).join('\n'),
    );
    await Promise.all(all.map((p) => p.kill('SIGTERM')));
  }
});
