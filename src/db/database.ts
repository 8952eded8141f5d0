/**
 * The dialer's own PostgreSQL database (DATABASE_URL): contacts, their schedule and every attempt.
 * One pool per process; the schema is brought up to date by the migrations at start.
 */
import path from 'node:path';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../logger';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface Database {
  pool: Pool;
  close(): Promise<void>;
}

/** Migrations are SQL files beside this module (copied next to the build's output too). */
export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
const MIGRATIONS_TABLE = 'schema_migrations';

// bigint (count(*)) as a JS number: every count here fits in 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Idle connections are few; a query waits at most 10 s for a connection before failing. */
export function openDatabase(url: string, logger: Logger, max = 10): Database {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  // A connection that dies while idle (the server restarted) is dropped from the pool; log it, don't crash.
  pool.on('error', (err) => logger.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'database connection lost'));
  return { pool, close: () => pool.end() };
}

/** node-pg-migrate refuses at once, rather than wait, while another process holds its lock. */
const LOCK_WAIT_MS = 60_000;
const isLockHeld = (err: unknown): boolean => err instanceof Error && /Another migration is already running/.test(err.message);

/**
 * Applies the migrations not yet applied. Several processes may start at once (a worker and an API):
 * one migrates under node-pg-migrate's advisory lock, the others wait for it, then find nothing to do.
 */
export async function migrateDatabase(url: string, logger: Logger): Promise<string[]> {
  const giveUpAt = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return await migrateOnce(url, logger);
    } catch (err) {
      if (!isLockHeld(err) || Date.now() > giveUpAt) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function migrateOnce(url: string, logger: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl: url,
    dir: MIGRATIONS_DIR,
    migrationsTable: MIGRATIONS_TABLE,
    direction: 'up',
    count: Infinity,
    singleTransaction: true,
    checkOrder: true,
    log: () => undefined,
  });
  const names = applied.map((m) => m.name);
  if (names.length > 0) logger.info({ migrations: names }, 'database migrated');
  return names;
}

/** For process entry points: the migrations applied, or a fatal log line and exit code 1. */
export async function migrateOrExit(url: string, logger: Logger): Promise<void> {
  try {
    await migrateDatabase(url, logger);
  } catch (err) {
    logger.fatal({ database: maskedDatabaseUrl(url), err }, 'cannot migrate the database');
    process.exit(1);
  }
}

/** The URL with its password masked: the only form of it that goes into logs. */
export function maskedDatabaseUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** PostgreSQL error classes 08 (connection), 57P (shutdown, crash recovery) and 53 (resources), or a socket error. */
export function isDatabaseUnavailable(err: unknown): boolean {
  // Not `instanceof Error`: socket errors come from Node's own realm, which a sandbox (jest) does not share.
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 8; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && /^(08|57P|53)/.test(code)) return true;
    if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)) return true;
    if (typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect/i.test(message)) return true;
    e = cause;
  }
  return false;
}

/** The rows of a query read through a cursor, `batchSize` at a time, as the consumer pulls (exports). */
export async function* streamRows<R>(pool: Pool, text: string, values: unknown[], batchSize: number): AsyncGenerator<R> {
  const client = await pool.connect();
  try {
    const stream = client.query(new QueryStream(text, values, { batchSize }));
    try {
      for await (const row of stream) yield row as R;
    } finally {
      stream.destroy();
    }
  } finally {
    client.release();
  }
}
