/**
 * One embedded PostgreSQL as a process of its own, for tests that crash the database:
 *
 *   node --import tsx src/db/embeddedMain.ts --data-dir D [--port P]
 *
 * Prints one JSON line on stdout once it accepts connections, {"ready":true,"url":…,"pid":…} (pid: the
 * postmaster's, to SIGKILL); logs go to stderr. Stops the server on SIGTERM/SIGINT and exits 0; exits 1
 * when the server dies under it. Started again on the same D (and P), it recovers the data.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createLogger } from '../logger';
import { stopOnSignals } from '../shutdown';
import { startEmbeddedPostgres } from './embeddedPostgres';

function usage(why: string): never {
  process.stderr.write(`${why}\nusage: embeddedMain --data-dir DIR [--port PORT]\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: { 'data-dir'?: string; port?: string };
  try {
    ({ values } = parseArgs({ options: { 'data-dir': { type: 'string' }, port: { type: 'string', default: '0' } } }));
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const dataDir = values['data-dir'] ?? usage('--data-dir is required');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`--port ${values.port}: expected 0 to 65535`);

  // stdout carries the one ready line only.
  const logger = createLogger('postgres', process.env.LOG_LEVEL || 'info', pino.destination(2));
  const server = await startEmbeddedPostgres({ dataDir, port, persistent: true, logger });
  void server.crashed.then(() => process.exit(1));
  stopOnSignals(logger, () => server.stop());
  process.stdout.write(`${JSON.stringify({ ready: true, url: server.url, pid: server.pid() })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`embedded PostgreSQL failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
