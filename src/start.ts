/** `npm start`: the whole dialer on one machine, in the foreground, until SIGINT/SIGTERM. */
import path from 'node:path';
import { loadConfigOrExit } from './config';
import { createLogger } from './logger';
import { stopOnSignals } from './shutdown';
import { startStack } from './stack';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('dialer', config.logLevel);
  const stack = await startStack({
    config,
    logger,
    dbFilename: path.resolve('.data/temporal.sqlite'),
    postgresDataDir: path.resolve('.data/postgres'),
    uiPort: 8233,
  });
  stopOnSignals(logger, () => stack.stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`start failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
