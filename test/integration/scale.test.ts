/**
 * Many campaigns on one worker, and one task queue served by two worker processes: the ledger shows
 * the same guarantees as for a single campaign, and both workers take a share of the work.
 */
import type { CampaignProgress } from '../../src/shared/types';
import type { LedgerSnapshot } from '../../src/simulator/simulator';
import { eventually } from '../support/eventually';
import { startInProcessDialer, testNumbers } from '../support/inProcessDialer';
import { checkLedger, CLEAN } from '../support/ledgerChecks';
import { getJson, type Managed, processDialer } from '../support/processes';

jest.setTimeout(180_000);

it('runs ten campaigns at once on one worker, each on its own agents', async () => {
  const dialer = await startInProcessDialer({ simulator: { agents: 20, timeScale: 0.005 } });
  try {
    const campaigns = Array.from({ length: 10 }, (_, i) => ({
      campaignId: `many-${i}`,
      numbers: testNumbers(12, `13${i}`),
      agentIds: [`a${2 * i + 1}`, `a${2 * i + 2}`],
    }));
    const created = await Promise.all(campaigns.map((c) => dialer.api('POST', '/campaigns', c)));
    expect(created.map((r) => r.status)).toEqual(campaigns.map(() => 201));
    const finals = await Promise.all(campaigns.map((c) => dialer.waitForEnd(c.campaignId, 150_000)));
    const ledger = dialer.simulator.ledger();
    campaigns.forEach((c, i) => {
      expect(finals[i]!.status).toBe('completed');
      expect(checkLedger(ledger, c.campaignId, c.numbers, finals[i]!)).toEqual(CLEAN);
    });
    expect(ledger.calls).toHaveLength(120);
  } finally {
    await dialer.stop();
  }
});

it('shares one task queue between two worker processes, both doing work', async () => {
  const dialer = await processDialer('shared', { SIM_AGENTS: '8', SIM_SEED: '5' });
  const { api, sim, start } = dialer;
  try {
    const [workerA, workerB] = await Promise.all([
      start('worker', 'worker ready'),
      start('worker', 'worker ready'),
      start('simulator', 'simulator listening'),
      start('api', 'api listening'),
    ]);
    // Several campaigns, so workflow tasks as well as activities spread over both workers.
    const campaigns = Array.from({ length: 4 }, (_, i) => ({
      campaignId: `shared-${i}`,
      numbers: testNumbers(20, `15${i}`),
      agentIds: [`a${2 * i + 1}`, `a${2 * i + 2}`],
    }));
    for (const c of campaigns) {
      const res = await fetch(`${api}/campaigns`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(c),
      });
      expect(res.status).toBe(201);
    }
    const finals = await Promise.all(
      campaigns.map((c) =>
        eventually(
          async () => (await getJson<CampaignProgress>(`${api}/campaigns/${c.campaignId}`)).body,
          (p) => Boolean(p.completedAt),
          150_000,
        ),
      ),
    );
    const ledger = (await getJson<LedgerSnapshot>(`${sim}/_sim/ledger`)).body;
    campaigns.forEach((c, i) => {
      expect(finals[i]!.status).toBe('completed');
      expect(checkLedger(ledger, c.campaignId, c.numbers, finals[i]!)).toEqual(CLEAN);
    });
    const placedBy = (w: Managed): number => w.output().split('\n').filter((l) => l.includes('"msg":"call placed"')).length;
    expect(placedBy(workerA!) + placedBy(workerB!)).toBe(80);
    expect(placedBy(workerA!)).toBeGreaterThan(0);
    expect(placedBy(workerB!)).toBeGreaterThan(0);
  } finally {
    await Promise.all(dialer.all.map((p) => p.kill('SIGTERM')));
  }
});
