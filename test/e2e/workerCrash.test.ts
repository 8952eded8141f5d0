/**
 * Worker, API and simulator as separate processes on the shared dev server. The worker is SIGKILLed
 * twice mid-batch and restarted; the simulator's ledger proves every accepted number was dialled
 * exactly once and no agent ever had two calls.
 */
import { randomBytes } from 'node:crypto';
import type { LedgerSnapshot } from '../../src/simulator/simulator';
import type { CampaignProgress } from '../../src/shared/types';
import { checkLedger } from '../support/ledgerChecks';
import { testNumbers } from '../support/inProcessDialer';
import { freePort } from '../../src/temporal/devServer';
import { eventually } from '../support/eventually';
import { getJson, type Managed, startProcess } from '../support/processes';

jest.setTimeout(240_000);

describe('a worker killed mid-batch', () => {
  const running: Managed[] = [];
  afterAll(async () => {
    await Promise.all(running.map((p) => p.kill('SIGTERM')));
  });

  it('resumes where it stopped: every number dialled exactly once, no agent double-booked', async () => {
    const [apiPort, simPort] = await Promise.all([freePort(), freePort()]);
    const api = `http://127.0.0.1:${apiPort}`;
    const sim = `http://127.0.0.1:${simPort}`;
    const env = {
      TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS!,
      TEMPORAL_TASK_QUEUE: `crash-${randomBytes(4).toString('hex')}`,
      WORKFLOW_BUNDLE_PATH: process.env.TEMPORAL_TEST_BUNDLE!,
      PORT: String(apiPort),
      PUBLIC_BASE_URL: api,
      WEBHOOK_SECRET: randomBytes(16).toString('hex'),
      TELEPHONY_BASE_URL: sim,
      AGENT_API_BASE_URL: sim,
      SIMULATOR_PORT: String(simPort),
      SIM_AGENTS: '8',
      SIM_TIME_SCALE: '0.01',
      SIM_SEED: '7',
      AGENT_POLL_SEC: '1',
      CALL_SILENCE_SEC: '3',
      LOG_LEVEL: 'info',
    };
    const start = (role: 'worker' | 'api' | 'simulator'): Managed => {
      const p = startProcess(role, env);
      running.push(p);
      return p;
    };
    const simulator = start('simulator');
    const apiProcess = start('api');
    let worker = start('worker');
    await Promise.all([
      simulator.waitFor('simulator listening'),
      apiProcess.waitFor('api listening'),
      worker.waitFor('worker ready'),
    ]);

    const numbers = testNumbers(120, '133');
    const created = await fetch(`${api}/campaigns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ campaignId: 'crash', numbers }),
    });
    expect(created.status).toBe(201);

    const dialled = async (): Promise<number> =>
      (await getJson<LedgerSnapshot>(`${sim}/_sim/ledger`)).body.calls.filter((c) => c.campaignId === 'crash').length;
    for (const threshold of [25, 60]) {
      expect(await eventually(dialled, (n) => n >= threshold, 60_000)).toBeGreaterThanOrEqual(threshold);
      expect(await worker.kill('SIGKILL')).toBeNull();
      worker = start('worker');
      await worker.waitFor('worker ready');
    }

    const final = await eventually(
      async () => (await getJson<CampaignProgress>(`${api}/campaigns/crash`)).body,
      (p) => Boolean(p.completedAt),
      180_000,
    );
    expect(final).toMatchObject({ status: 'completed', total: 120, finished: 120, pending: 0, inFlight: 0 });
    const ledger = (await getJson<LedgerSnapshot>(`${sim}/_sim/ledger`)).body;
    expect(ledger.calls.filter((c) => c.campaignId === 'crash')).toHaveLength(120);
    expect(ledger.violations).toEqual([]);
    expect(checkLedger(ledger, 'crash', numbers, final)).toEqual({ lost: 0, overDialled: 0, violations: 0 });
    // Phone numbers never reach the logs whole.
    for (const p of running) for (const n of numbers) expect(p.output()).not.toContain(n.slice(1));
  });
});
