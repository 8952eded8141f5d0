import type { Logger } from './logger';

/**
 * Stops a process's parts on the first SIGTERM or SIGINT, then exits 0, or 1 when stopping fails.
 * With `graceMs`, a stop that hangs longer exits 1 rather than wedging a supervisor.
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>, graceMs?: number): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    if (graceMs !== undefined) setTimeout(() => process.exit(1), graceMs).unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: String(err) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  // Once each: a second Ctrl-C falls through to Node's default and ends the process at once.
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
