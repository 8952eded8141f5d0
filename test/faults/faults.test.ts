/**
 * The fault-injection suite (scenario.ts): `npm test` runs it small; `npm run test:faults` runs it at
 * full size (FAULTS_SIZE=full) and prints the figures docs/reliability.md quotes.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLEAN } from '../support/ledgerChecks';
import { runFaultScenario, type ScenarioOptions } from './scenario';

const SIZES: Record<string, ScenarioOptions> = {
  small: { numbers: 100, agents: 6, flappingAgents: 2, seed: 11 },
  full: { numbers: 400, agents: 10, flappingAgents: 3, seed: 12 },
};
const size = process.env.FAULTS_SIZE ?? 'small';
const options = SIZES[size];
if (!options) throw new Error(`FAULTS_SIZE must be one of ${Object.keys(SIZES).join(', ')}`);

jest.setTimeout(size === 'full' ? 900_000 : 420_000);

it(`loses no number, dials none twice and double-books no agent through every fault (${size})`, async () => {
  const logFile = join(tmpdir(), `dialer-faults-${size}.log`);
  const note = (line: string): boolean => process.stderr.write(`[faults] ${line}\n`);
  note(`process logs: ${logFile}`);
  const { figures, output } = await runFaultScenario(options, note, logFile);
  process.stdout.write(`FAULT-FIGURES ${JSON.stringify(figures)}\n`);

  expect(figures.status).toBe('completed');
  expect({ lost: figures.lost, overDialled: figures.overDialled, doubleBooked: figures.doubleBooked, violations: figures.violations }).toEqual(CLEAN);
  expect(figures.dialsAfterPause).toBe(0);
  expect(figures.cancel).toEqual({ status: 'cancelled', resumeStatus: 409, resumeCode: 'campaign_closed' });
  expect(figures).toMatchObject({ workerKills: 3, serverKills: 1, databaseKills: 1, apiRestarts: 1, agentSystemOutages: 1 });
  // While PostgreSQL was down the API said so, and the campaign waited rather than failed.
  expect(figures.databaseOutage).toEqual({ apiStatus: 503, apiCode: 'database_unavailable', campaignStatus: 'running' });
  for (const kind of ['callErrors', 'callHangs', 'callLostResponses', 'webhooksWithheld', 'webhooksDuplicated', 'webhooksReordered'] as const) {
    expect(figures.injected[kind]).toBeGreaterThan(0);
  }
  expect(figures.replays).toBeGreaterThan(0); // a lost response was retried with its key and found the call
  // Phone numbers never reach the logs whole.
  expect(output).not.toMatch(/\+?86134\d{8}/);
});
