/**
 * Everything on one machine, for `npm start` and `npm run demo`: the embedded Temporal dev server when
 * nothing answers at TEMPORAL_ADDRESS, an embedded PostgreSQL when DATABASE_URL is unset, the built-in
 * simulator when no provider is configured, the worker and the API. Stops in the order that loses
 * nothing: API, worker, simulator, PostgreSQL, Temporal server.
 */
import { randomBytes } from 'node:crypto';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { startApi } from './api/main';
import type { Config } from './config';
import { maskedDatabaseUrl, migrateDatabase, openDatabase } from './db/database';
import { startEmbeddedPostgres } from './db/embeddedPostgres';
import type { Logger } from './logger';
import { createSimulator, type SimulatorOptions } from './simulator/simulator';
import { isTemporalReachable, startDevServer } from './temporal/devServer';
import { setUpNamespace } from './temporal/namespaceSetup';
import { installSdkLogger } from './temporal/sdkLogger';
import { activityDepsFrom, createDialerWorker } from './worker/createWorker';

export interface StackOptions {
  config: Config;
  logger: Logger;
  /** Where the embedded dev server keeps its state between runs. */
  dbFilename: string;
  /** Web UI port of the embedded dev server. */
  uiPort: number;
  /** Where the embedded PostgreSQL keeps its data between runs (when DATABASE_URL is unset). */
  postgresDataDir: string;
  /** Overrides for the built-in simulator (the demo speeds time up). */
  simulator?: SimulatorOptions;
}

export interface Stack {
  apiUrl: string;
  /** The Temporal Web UI, when the embedded dev server runs it. */
  uiUrl?: string;
  config: Config;
  stop(): Promise<void>;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export async function startStack(options: StackOptions): Promise<Stack> {
  const { logger } = options;
  const stops: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const step of stops.reverse()) await step().catch((err: unknown) => logger.error({ err: String(err) }, 'stop'));
    stops.length = 0;
  };
  try {
    const config = await withEmbeddedParts(options, stops);
    installSdkLogger(Runtime, logger, { shutdownSignals: [] });
    // The worker's pool; the API opens its own from config.database.url.
    const database = openDatabase(config.database.url, logger);
    stops.push(() => database.close());
    const connection = await NativeConnection.connect({ address: config.temporal.address, ...config.temporal.security });
    stops.push(() => connection.close());
    const setUp = await setUpNamespace(connection, config.temporal.namespace, logger);
    if (!setUp.ready) throw new Error(setUp.problem);
    const worker = await createDialerWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: activityDepsFrom(config, logger, database.pool),
    });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
    });
    const api = await startApi(config, logger);
    stops.push(() => api.stop());
    const uiUrl = config.console.temporalUiUrl;
    logger.info({ api: api.url, console: `${api.url}/`, temporal: config.temporal.address, ui: uiUrl }, 'dialer ready');
    return { apiUrl: api.url, uiUrl, config, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function withEmbeddedParts(
  options: StackOptions,
  stops: Array<() => Promise<void>>,
): Promise<Config & { database: { url: string } }> {
  let config = options.config;
  const { address } = config.temporal;
  if (!(await isTemporalReachable(address, 1500))) {
    const [host, port] = splitAddress(address);
    if (!LOCAL_HOSTS.has(host)) throw new Error(`TEMPORAL_ADDRESS ${address} does not answer`);
    options.logger.info({ address }, 'no Temporal server answers: starting the embedded dev server');
    const server = await startDevServer({ port, uiPort: options.uiPort, dbFilename: options.dbFilename });
    stops.push(() => server.stop());
    const temporalUiUrl = config.console.temporalUiUrl ?? server.uiUrl;
    config = { ...config, temporal: { ...config.temporal, address: server.address }, console: { ...config.console, temporalUiUrl } };
  } else {
    // A server we did not start: its UI is assumed at the dev server's usual port unless TEMPORAL_UI_URL says.
    config = { ...config, console: { ...config.console, temporalUiUrl: config.console.temporalUiUrl ?? `http://localhost:${options.uiPort}` } };
  }
  const database = { url: await migratedDatabase(options, config.database.url, stops) };
  if (config.builtInSimulator) {
    // Both ends of the webhooks live in this process: sign them with a secret made for this run.
    const webhookSecret = config.webhookSecret ?? randomBytes(32).toString('hex');
    const simulator = createSimulator({
      ...options.simulator,
      webhookSecret,
      agentWebhookUrl: `${config.publicBaseUrl}/webhooks/agent-status`,
      logger: options.logger.child({ component: 'simulator' }),
    });
    await simulator.start(config.simulatorPort);
    stops.push(() => simulator.stop());
    // From here on it is an ordinary provider and agent system at their URLs, with a secret: /readyz says ready.
    config = { ...config, webhookSecret, builtInSimulator: false, agentSystemConfigured: true };
  }
  return { ...config, database };
}

/** DATABASE_URL's database, else the embedded server's (started here), with the migrations applied. */
async function migratedDatabase(
  options: StackOptions,
  configured: string | undefined,
  stops: Array<() => Promise<void>>,
): Promise<string> {
  const { logger } = options;
  let url = configured;
  if (url === undefined) {
    const server = await startEmbeddedPostgres({
      dataDir: options.postgresDataDir,
      persistent: true,
      logger: logger.child({ component: 'postgres' }),
    });
    stops.push(() => server.stop());
    url = server.url;
    logger.info({ database: maskedDatabaseUrl(url), dataDir: server.dataDir }, 'DATABASE_URL unset: using the embedded PostgreSQL');
  } else {
    logger.info({ database: maskedDatabaseUrl(url) }, 'using the database at DATABASE_URL');
  }
  await migrateDatabase(url, logger);
  return url;
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
