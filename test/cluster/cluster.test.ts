/**
 * `npm run test:cluster`: the dialer on a production-like Temporal, the v1.29.1 server on PostgreSQL as
 * two nodes configured by deploy/temporal (what docker-compose.yml runs), reached through one address
 * as through a load balancer. The worker sets the empty cluster up itself (no `default` namespace, no
 * search attributes), a campaign runs end to end, and mid-campaign the node whose history service owns
 * the campaign's shard is SIGKILLed. The ledger must keep its zeros; the failover gap is measured.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { CampaignProgress } from '../../src/shared/types';
import type { LedgerSnapshot } from '../../src/simulator/simulator';
import { type Cluster, shardOwner, startCluster } from '../../src/temporal/cluster';
import { ensureServerBinaries, type ServerBinaries } from '../../src/temporal/serverBinaries';
import { workflowIdFor } from '../../src/shared/callId';
import { postJson, until } from '../faults/scenario';
import { testNumbers } from '../support/inProcessDialer';
import { checkLedger, CLEAN } from '../support/ledgerChecks';
import { getJson, processDialer } from '../support/processes';

jest.setTimeout(600_000);

const NAMESPACE = 'default';
const CAMPAIGN = 'cluster';
const NUMBERS = 300;
const AGENTS = 8;
const MAX_ATTEMPTS = 2;
/** Every dialer process's output, written at the end even when the test fails half-way. */
const LOG_FILE = join(tmpdir(), 'dialer-cluster.log');

let binaries: ServerBinaries;
let cluster: Cluster | undefined;

beforeAll(async () => {
  binaries = await ensureServerBinaries();
  const admin = new URL(process.env.TEST_DATABASE_ADMIN_URL!);
  const suffix = randomBytes(4).toString('hex');
  cluster = await startCluster(binaries, {
    host: admin.hostname,
    port: Number(admin.port),
    user: decodeURIComponent(admin.username),
    password: decodeURIComponent(admin.password),
    database: `temporal_${suffix}`,
    visibilityDatabase: `temporal_visibility_${suffix}`,
  });
});

afterAll(async () => {
  await cluster?.stop();
});

it('runs a campaign on a two-node cluster it set up itself, through a SIGKILL of the node owning its shard', async () => {
  const started = Date.now();
  const { api, sim, all, start } = await processDialer('cluster', {
    TEMPORAL_ADDRESS: cluster!.address,
    TEMPORAL_NAMESPACE: NAMESPACE,
    SIM_AGENTS: String(AGENTS),
    SIM_SEED: '21',
    CALL_SILENCE_SEC: '3',
  });
  try {
    // The production server starts with no namespace at all: the worker creates it and its attributes.
    await start('simulator', 'simulator listening');
    await start('worker', 'worker ready');
    await start('api', 'api listening');
    const ready = await until('GET /readyz ready', () => getJson<{ status?: string }>(`${api}/readyz`), (r) => r.status === 200, 30_000);
    expect(ready.body.status).toBe('ready');

    const numbers = testNumbers(NUMBERS, '136');
    const agentIds = Array.from({ length: AGENTS }, (_, i) => `a${i + 1}`);
    const created = await postJson(`${api}/campaigns`, {
      campaignId: CAMPAIGN,
      numbers,
      agentIds,
      settings: { maxAttempts: MAX_ATTEMPTS, retryDelaySec: 1 },
    });
    expect(created.status).toBe(201);

    const ledger = async (): Promise<LedgerSnapshot> => (await getJson<LedgerSnapshot>(`${sim}/_sim/ledger`)).body;
    const dialled = async (): Promise<number> => (await ledger()).calls.filter((c) => c.campaignId === CAMPAIGN).length;
    await until('a third of the numbers dialled', dialled, (n) => n >= NUMBERS / 3, 180_000);

    const connection = await Connection.connect({ address: cluster!.address });
    const owner = await shardOwner(binaries, cluster!, NAMESPACE, workflowIdFor(CAMPAIGN));
    const killedAt = Date.now();
    await owner.node.kill('SIGKILL');
    process.stderr.write(`[cluster] SIGKILLed node ${owner.node.index}, owner of shard ${owner.shardId}\n`);
    const dialledAtKill = await dialled();
    await until('calls placed again after the kill', dialled, (n) => n > dialledAtKill, 120_000);
    const resumedAt = Date.now();

    const final = await until(
      'the campaign ended',
      async () => (await getJson<CampaignProgress>(`${api}/campaigns/${CAMPAIGN}`)).body,
      (p) => Boolean(p.completedAt),
      300_000,
    );
    const snapshot = await ledger();
    const placements = snapshot.calls.filter((c) => c.campaignId === CAMPAIGN).map((c) => c.firstRequestedAt).sort((a, b) => a - b);
    // The failover gap: the longest pause between two calls the provider received, from the kill on
    // (calls already being placed when the node died land just after it, so the first is no measure).
    const gaps = placements.slice(1).map((t, i) => ({ from: placements[i]!, ms: t - placements[i]! }));
    const failoverGapMs = Math.max(...gaps.filter((g) => g.from + g.ms > killedAt && g.from < killedAt + 60_000).map((g) => g.ms));
    const before = gaps.filter((g) => g.from + g.ms <= killedAt).map((g) => g.ms).sort((a, b) => a - b);
    const newOwner = await shardOwner(binaries, cluster!, NAMESPACE, workflowIdFor(CAMPAIGN));
    const figures = {
      numbers: NUMBERS,
      agents: AGENTS,
      calls: placements.length,
      status: final.status,
      killedNode: owner.node.index,
      shardId: owner.shardId,
      shardNowOn: newOwner.node.index,
      failoverGapMs,
      // For comparison: the longest pause between calls before the kill, and the median.
      longestGapBeforeKillMs: before.at(-1) ?? null,
      medianGapBeforeKillMs: before[Math.floor(before.length / 2)] ?? null,
      // When this test, polling the ledger, first saw a call placed after the kill.
      resumeSeenMs: resumedAt - killedAt,
      ...checkLedger(snapshot, CAMPAIGN, numbers, final, MAX_ATTEMPTS),
      seconds: Math.round((Date.now() - started) / 1000),
    };
    process.stdout.write(`CLUSTER-FIGURES ${JSON.stringify(figures)}\n`);

    expect(final.status).toBe('completed');
    expect({ lost: figures.lost, overDialled: figures.overDialled, doubleBooked: figures.doubleBooked, violations: figures.violations }).toEqual(CLEAN);
    expect(newOwner.node.index).not.toBe(owner.node.index);
    // The campaign's search attributes were registered by the worker, on a server that had none.
    const client = new Client({ connection, namespace: NAMESPACE });
    const listed = [];
    for await (const run of client.workflow.list({ query: `CampaignStatus = 'completed'` })) listed.push(run.workflowId);
    expect(listed).toContain(workflowIdFor(CAMPAIGN));
    await connection.close();
  } finally {
    await writeFile(LOG_FILE, all.map((p) => `----- ${p.role} (pid ${p.child.pid})\n${p.output()}`).join('\n'));
    await Promise.all(all.map((p) => p.kill('SIGTERM')));
  }
});
