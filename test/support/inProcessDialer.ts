/**
 * The dialer wired for a test in one process: the real API, a real worker on the shared dev server,
 * and the simulator as provider and agent system, all talking real HTTP.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { startApi } from '../../src/api/main';
import { type Config, loadConfig } from '../../src/config';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator';
import type { CampaignProgress } from '../../src/shared/types';
import { installSdkLogger } from '../../src/temporal/sdkLogger';
import { createDialerWorker } from '../../src/worker/createWorker';
import { openDatabase, type Pool } from '../../src/db/database';
import { ANY_HOUR_ENV } from './anyHour';
import { freshDatabaseUrl } from './database';
import { eventually } from './eventually';

export interface InProcessDialer {
  apiUrl: string;
  client: Client;
  /** The dialer's own database (a fresh copy of the migrated template). */
  pool: Pool;
  config: Config;
  simulator: Simulator;
  worker: Worker;
  /** POST/GET against the API with the test's credentials. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read reply fields directly
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  waitForEnd(campaignId: string, timeoutMs?: number): Promise<CampaignProgress>;
  stop(): Promise<void>;
}

export interface InProcessDialerOptions {
  simulator?: SimulatorOptions;
  env?: Record<string, string>;
}

const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
let runtimeInstalled = false;

export async function startInProcessDialer(options: InProcessDialerOptions = {}): Promise<InProcessDialer> {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  const bundle = process.env.TEMPORAL_TEST_BUNDLE;
  if (!address || !bundle) throw new Error('run under jest: the global setup starts Temporal and bundles the workflows');
  const taskQueue = `dialer-${randomBytes(4).toString('hex')}`;
  const webhookSecret = randomBytes(16).toString('hex');
  const base = loadConfig({
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WEBHOOK_SECRET: webhookSecret,
    TELEPHONY_BASE_URL: 'http://127.0.0.1:9', // replaced below, once the simulator listens
    AGENT_POLL_SEC: '1',
    CALL_SILENCE_SEC: '5',
    ...ANY_HOUR_ENV,
    DATABASE_URL: await freshDatabaseUrl(),
    ...options.env,
  });
  if (!runtimeInstalled) {
    installSdkLogger(Runtime, silent);
    runtimeInstalled = true;
  }
  const stops: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s();
    stops.length = 0;
  };
  try {
    const native = await NativeConnection.connect({ address });
    stops.push(() => native.close());
    const connection = await Connection.connect({ address });
    stops.push(() => connection.close());
    const client = new Client({ connection });
    // Closed after the worker has stopped (stops run in reverse).
    const database = openDatabase(base.database.url!, silent);
    stops.push(() => database.close());
    // Stopped in reverse: the simulator first (no new webhooks), then the API, then the worker.
    const started: { worker?: Worker; running?: Promise<void> } = {};
    stops.push(async () => {
      if (started.worker?.getState() === 'RUNNING') started.worker.shutdown();
      await started.running;
    });
    const api = await startApi({ ...base, port: 0 }, silent);
    stops.push(() => api.stop());
    const simulator = createSimulator({
      agents: 5,
      timeScale: 0.005,
      seed: 1,
      ...options.simulator,
      webhookSecret,
      agentWebhookUrl: options.simulator?.agentWebhookUrl ?? `${api.url}/webhooks/agent-status`,
      logger: silent,
    });
    const sim = await simulator.start(0);
    stops.push(() => simulator.stop());
    const config: Config = {
      ...base,
      publicBaseUrl: api.url,
      telephony: { ...base.telephony, baseUrl: sim.url },
      agentApiBaseUrl: sim.url,
    };
    const worker = await createDialerWorker({
      connection: native,
      namespace: config.temporal.namespace,
      taskQueue,
      workflowBundlePath: bundle,
      activities: {
        telephonyBaseUrl: sim.url,
        agentApiBaseUrl: sim.url,
        publicBaseUrl: options.env?.PUBLIC_BASE_URL ?? api.url,
        logger: silent,
        database: database.pool,
      },
    });
    Object.assign(started, { worker, running: worker.run() });

    const call = async (method: string, path: string, body?: unknown) => {
      const send = () =>
        fetch(`${api.url}${path}`, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      // A pooled keep-alive connection the server closed while idle resets on reuse: send once more, on a new one.
      const res = await send().catch((err: unknown) => {
        if ((err as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw err;
        return send();
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    return {
      apiUrl: api.url,
      client,
      pool: database.pool,
      config,
      simulator,
      worker,
      api: call,
      async waitForEnd(campaignId, timeoutMs = 60_000) {
        const ended = (r: { status: number; body: CampaignProgress }) => r.status === 200 && r.body.completedAt !== null;
        const res = await eventually(() => call('GET', `/campaigns/${campaignId}`), ended, timeoutMs);
        if (!ended(res)) throw new Error(`campaign ${campaignId} did not end: ${JSON.stringify(res.body)}`);
        return res.body;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Numbers that libphonenumber accepts, distinct for distinct `i`. */
export function testNumbers(count: number, prefix = '139'): string[] {
  return Array.from({ length: count }, (_, i) => `+86${prefix}${String(10_000_000 + i).slice(-8)}`);
}
