/** `npm start`: the whole dialer on one machine, in the foreground, until SIGINT/SIGTERM. */
import path from 'node:path';
import { loadConfigOrExit } from './config';
import { createLogger } from './logger';
import { startStack } from './stack';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('dialer', config.logLevel);
  const stack = await startStack({ config, logger, dbFilename: path.resolve('.data/temporal.sqlite'), uiPort: 8233 });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    stack.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: String(err) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`start failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
