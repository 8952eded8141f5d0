/**
 * The bench's own dialer, isolated from anything else on the machine: a headless dev server on a temp
 * SQLite file, an embedded PostgreSQL in a temp directory, the workflow bundle built once, the API in
 * this process, the worker as its own process, and a fresh simulator per run on the port the worker
 * dials. Every part is registered with `cleanup` as soon as it runs.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import pino from 'pino';
import { startApi } from '../api/main';
import { loadConfig } from '../config';
import { migrateDatabase } from '../db/database';
import { startEmbeddedPostgres } from '../db/embeddedPostgres';
import { createLogger } from '../logger';
import { createSimulator, type Simulator, type SimulatorOptions } from '../simulator/simulator';
import { startCluster } from '../temporal/cluster';
import { freePort, startDevServer } from '../temporal/devServer';
import { ensureServerBinaries, TEMPORAL_SERVER_VERSION } from '../temporal/serverBinaries';
import type { Cleanup } from './cleanup';
import { startServiceProcess, type ServiceProcess, WORKER } from './serviceProcess';

export interface EnvironmentOptions {
  /** The Temporal CLI dev server (SQLite), or the v1.29.1 server as a two-node cluster on the bench's PostgreSQL. */
  temporal: TemporalKind;
  /** The dialer's catch-up timings (AGENT_POLL_SEC, CALL_SILENCE_SEC). */
  agentPollSec: number;
  callSilenceSec: number;
  cleanup: Cleanup;
  note: (line: string) => void;
}

export interface BenchEnvironment {
  apiUrl: string;
  /** Which Temporal the run is on, for the report. */
  temporal: string;
  /** What the API and the worker are started with (an API process of its own takes it too). */
  env: Record<string, string>;
  /** The bench's temp directory, removed at the end. */
  dir: string;
  client: Client;
  worker: ServiceProcess;
  /** Stops the previous run's simulator, if any, and starts one with these options. */
  startSimulator(options: Omit<SimulatorOptions, 'webhookSecret' | 'agentWebhookUrl' | 'logger'>): Promise<Simulator>;
}

const HOST = '127.0.0.1';
/** Logs go to stderr: stdout carries the table and the final JSON line only. */
const logTo = pino.destination(2);

export async function startEnvironment(o: EnvironmentOptions): Promise<BenchEnvironment> {
  const { cleanup, note } = o;
  const tmp = await mkdtemp(path.join(tmpdir(), 'dialer-bench-'));
  // Run as root, PostgreSQL runs as the user postgres, which must reach its data in here.
  await chmod(tmp, 0o711);
  cleanup.add('temp dir', () => rm(tmp, { recursive: true, force: true }));

  const started = Date.now();
  // Both take seconds: side by side. Settled first, so a server that started is stopped even if bundling failed.
  const [postgresStart, bundled] = await Promise.allSettled([
    startEmbeddedPostgres({ dataDir: path.join(tmp, 'postgres'), persistent: false, logger: createLogger('postgres', 'warn', logTo) }),
    bundle(path.join(tmp, 'workflow-bundle.js')),
  ]);
  if (postgresStart.status === 'fulfilled') cleanup.add('postgres', () => postgresStart.value.stop());
  const databaseUrl = valueOf(postgresStart).url;
  const bundlePath = valueOf(bundled);
  await migrateDatabase(databaseUrl, createLogger('migrations', 'warn', logTo));
  const server = await startTemporal(o.temporal, tmp, databaseUrl, cleanup);
  note(`${server.label} at ${server.address}, PostgreSQL and workflow bundle ready in ${Date.now() - started} ms`);

  const connection = await Connection.connect({ address: server.address });
  cleanup.add('client connection', () => connection.close());
  const client = new Client({ connection, namespace: server.namespace });

  const [apiPort, simPort] = await Promise.all([freePort(HOST), freePort(HOST)]);
  const apiUrl = `http://${HOST}:${apiPort}`;
  const simUrl = `http://${HOST}:${simPort}`;
  const webhookSecret = randomBytes(32).toString('hex');
  // Shared by the API (in this process) and the worker (its own process), as separate processes would be.
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    TEMPORAL_TASK_QUEUE: `bench-${randomBytes(4).toString('hex')}`,
    DATABASE_URL: databaseUrl,
    PORT: String(apiPort),
    PUBLIC_BASE_URL: apiUrl,
    WEBHOOK_SECRET: webhookSecret,
    TELEPHONY_BASE_URL: simUrl,
    AGENT_API_BASE_URL: simUrl,
    SIMULATOR_PORT: String(simPort),
    AGENT_POLL_SEC: String(o.agentPollSec),
    CALL_SILENCE_SEC: String(o.callSilenceSec),
    // The bench's own dialer: a key or provider from the caller's shell must not leak in.
    API_KEY: '',
    TELEPHONY_API_KEY: '',
    // The bench reads the API itself; its management rate limit would only get in the way.
    RATE_LIMIT_PER_MIN: '0',
    // No metrics listener: its fixed default port would clash with other workers on this machine.
    WORKER_METRICS_PORT: '0',
    // The worker prints "worker ready" at info; that is also its production default.
    LOG_LEVEL: 'info',
  };
  const api = await startApi(loadConfig({ ...env, LOG_LEVEL: 'warn' }), createLogger('api', 'warn', logTo));
  cleanup.add('api', () => api.stop());

  let simulator: Simulator | undefined;
  cleanup.add('simulator', async () => simulator?.stop());

  const worker = startServiceProcess(WORKER, { ...env, WORKFLOW_BUNDLE_PATH: bundlePath });
  cleanup.add('worker process', () => worker.stop());
  await worker.ready;
  note(`worker process ${worker.pid} ready`);

  return {
    apiUrl,
    temporal: server.label,
    env,
    dir: tmp,
    client,
    worker,
    async startSimulator(options) {
      await simulator?.stop();
      simulator = createSimulator({
        ...options,
        webhookSecret,
        agentWebhookUrl: `${apiUrl}/webhooks/agent-status`,
        logger: createLogger('simulator', 'warn', logTo),
      });
      await simulator.start(simPort);
      return simulator;
    },
  };
}

function valueOf<T>(settled: PromiseSettledResult<T>): T {
  if (settled.status === 'rejected') throw settled.reason;
  return settled.value;
}

export type TemporalKind = 'dev' | 'cluster';

interface BenchTemporal {
  address: string;
  namespace: string;
  label: string;
}

async function startTemporal(kind: TemporalKind, tmp: string, databaseUrl: string, cleanup: Cleanup): Promise<BenchTemporal> {
  if (kind === 'dev') {
    const server = await startDevServer({ dbFilename: path.join(tmp, 'temporal.sqlite'), port: 0, uiPort: null });
    cleanup.add('dev server', () => server.stop());
    return { address: server.address, namespace: server.namespace, label: `dev server (${server.kind}, SQLite)` };
  }
  // Temporal's databases beside the dialer's, on the bench's PostgreSQL; the worker sets up the namespace.
  const admin = new URL(databaseUrl);
  const cluster = await startCluster(await ensureServerBinaries(), {
    host: admin.hostname,
    port: Number(admin.port),
    user: decodeURIComponent(admin.username),
    password: decodeURIComponent(admin.password),
    database: 'temporal',
    visibilityDatabase: 'temporal_visibility',
  });
  cleanup.add('Temporal cluster', () => cluster.stop());
  return { address: cluster.address, namespace: 'default', label: `Temporal ${TEMPORAL_SERVER_VERSION} cluster, 2 nodes on PostgreSQL` };
}

async function bundle(codePath: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  await writeFile(codePath, code);
  return codePath;
}
