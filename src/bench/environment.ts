/**
 * The bench's own dialer, isolated from anything else on the machine: a headless dev server on a temp
 * SQLite file, the workflow bundle built once, the API in this process, the worker as its own process,
 * and a fresh simulator per run on the port the worker dials. Every part is registered with `cleanup`
 * as soon as it runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import pino from 'pino';
import { startApi } from '../api/main';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { createSimulator, type Simulator, type SimulatorOptions } from '../simulator/simulator';
import { freePort, startDevServer } from '../temporal/devServer';
import type { Cleanup } from './cleanup';
import { startWorkerProcess, type WorkerProcess } from './workerProcess';

export interface EnvironmentOptions {
  /** The dialer's catch-up timings (AGENT_POLL_SEC, CALL_SILENCE_SEC). */
  agentPollSec: number;
  callSilenceSec: number;
  cleanup: Cleanup;
  note: (line: string) => void;
}

export interface BenchEnvironment {
  apiUrl: string;
  client: Client;
  worker: WorkerProcess;
  /** Stops the previous run's simulator, if any, and starts one with these options. */
  startSimulator(options: Omit<SimulatorOptions, 'webhookSecret' | 'agentWebhookUrl' | 'logger'>): Promise<Simulator>;
}

const HOST = '127.0.0.1';
/** Logs go to stderr: stdout carries the table and the final JSON line only. */
const logTo = pino.destination(2);

export async function startEnvironment(o: EnvironmentOptions): Promise<BenchEnvironment> {
  const { cleanup, note } = o;
  const tmp = await mkdtemp(path.join(tmpdir(), 'dialer-bench-'));
  cleanup.add('temp dir', () => rm(tmp, { recursive: true, force: true }));

  const started = Date.now();
  // Both take seconds: side by side. Settled first, so a server that started is stopped even if bundling failed.
  const [serverStart, bundled] = await Promise.allSettled([
    startDevServer({ dbFilename: path.join(tmp, 'temporal.sqlite'), port: 0, uiPort: null }),
    bundle(path.join(tmp, 'workflow-bundle.js')),
  ]);
  if (serverStart.status === 'fulfilled') cleanup.add('dev server', () => serverStart.value.stop());
  if (serverStart.status === 'rejected') throw serverStart.reason;
  if (bundled.status === 'rejected') throw bundled.reason;
  const server = serverStart.value;
  const bundlePath = bundled.value;
  note(`dev server ${server.address} (${server.kind}) and workflow bundle ready in ${Date.now() - started} ms`);

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

  const worker = startWorkerProcess({ ...env, WORKFLOW_BUNDLE_PATH: bundlePath });
  cleanup.add('worker process', () => worker.stop());
  await worker.ready;
  note(`worker process ${worker.pid} ready`);

  return {
    apiUrl,
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

async function bundle(codePath: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  await writeFile(codePath, code);
  return codePath;
}
