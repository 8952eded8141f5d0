/** `npm run worker`: the Temporal worker (workflows + activities) in the foreground. */
import { NativeConnection, Runtime, type RuntimeOptions } from '@temporalio/worker';
import { type Config, exitOnConfigError, loadConfigOrExit, requireDatabaseUrl } from '../config';
import { maskedDatabaseUrl, migrateOrExit, openDatabase } from '../db/database';
import { createLogger } from '../logger';
import { collectProcessMetrics } from '../metrics/registry';
import { serveMetrics } from '../metrics/server';
import { WORKER_PROCESS_PREFIX } from '../metrics/worker';
import { setUpNamespace } from '../temporal/namespaceSetup';
import { installSdkLogger } from '../temporal/sdkLogger';
import { activityDepsFrom, createDialerWorker } from './createWorker';

async function connectWithin(temporal: Config['temporal'], deadlineMs: number): Promise<NativeConnection> {
  const giveUpAt = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await NativeConnection.connect({ address: temporal.address, ...temporal.security });
    } catch (err) {
      if (Date.now() >= giveUpAt) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** The SDK's own worker metrics (task slots, poll and schedule-to-start latencies...) when asked for. */
function sdkTelemetry(config: Config): Pick<RuntimeOptions, 'telemetryOptions'> {
  const bindAddress = config.worker.temporalMetricsBind;
  return bindAddress === undefined ? {} : { telemetryOptions: { metrics: { prometheus: { bindAddress } } } };
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const databaseUrl = exitOnConfigError(() => requireDatabaseUrl(config));
  const logger = createLogger('worker', config.logLevel);
  installSdkLogger(Runtime, logger, sdkTelemetry(config));
  await migrateOrExit(databaseUrl, logger);
  let connection: NativeConnection;
  try {
    connection = await connectWithin(config.temporal, config.worker.connectTimeoutSec * 1000);
  } catch (err) {
    const { address } = config.temporal;
    logger.fatal({ address, timeoutSec: config.worker.connectTimeoutSec, err: String(err) }, 'cannot reach Temporal');
    process.exit(1);
  }
  const setUp = await setUpNamespace(connection, config.temporal.namespace, logger);
  if (!setUp.ready) {
    logger.fatal({ namespace: config.temporal.namespace, problem: setUp.problem }, 'the Temporal namespace is not set up');
    process.exit(1);
  }
  const database = openDatabase(databaseUrl, logger);
  const worker = await createDialerWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH || undefined,
    activities: activityDepsFrom(config, logger, database.pool),
  });
  collectProcessMetrics(WORKER_PROCESS_PREFIX);
  const metrics = config.worker.metricsPort === 0 ? undefined : await serveMetrics(config.worker.metricsPort);
  logger.info(
    {
      taskQueue: config.temporal.taskQueue,
      address: config.temporal.address,
      database: maskedDatabaseUrl(databaseUrl),
      metricsPort: metrics?.port ?? null,
      temporalMetrics: config.worker.temporalMetricsBind ?? null,
    },
    'worker ready',
  );
  // Worker.run() drains and returns on SIGINT/SIGTERM (the SDK runtime's shutdown signals).
  await worker.run();
  await metrics?.close();
  await connection.close();
  await database.close();
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed: ${String(err)}\n`);
  process.exit(1);
});
