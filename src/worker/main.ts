/** `npm run worker`: the Temporal worker (workflows + activities) in the foreground. */
import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from '../config';
import { createLogger } from '../logger';
import { installSdkLogger } from '../temporal/sdkLogger';
import { activityDepsFrom, createDialerWorker } from './createWorker';

const CONNECT_DEADLINE_MS = 60_000;

async function connectWithin(address: string, deadlineMs: number): Promise<NativeConnection> {
  const giveUpAt = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await NativeConnection.connect({ address });
    } catch (err) {
      if (Date.now() >= giveUpAt) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('worker', config.logLevel);
  installSdkLogger(Runtime, logger);
  let connection: NativeConnection;
  try {
    connection = await connectWithin(config.temporal.address, CONNECT_DEADLINE_MS);
  } catch (err) {
    logger.fatal({ address: config.temporal.address, err: String(err) }, 'cannot reach Temporal');
    process.exit(1);
  }
  const worker = await createDialerWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH || undefined,
    activities: activityDepsFrom(config, logger),
  });
  logger.info({ taskQueue: config.temporal.taskQueue, address: config.temporal.address }, 'worker ready');
  // Worker.run() drains and returns on SIGINT/SIGTERM (the SDK runtime's shutdown signals).
  await worker.run();
  await connection.close();
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed: ${String(err)}\n`);
  process.exit(1);
});
