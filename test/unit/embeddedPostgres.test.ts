/**
 * The embedded PostgreSQL: the run's server and template (test/support/globalSetup.ts), servers of the test's own
 * (data kept across restarts, a crash of the postmaster recovered from), and src/db/embeddedMain.ts as a process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { createDatabase, passwordFileOf, startEmbeddedPostgres } from '../../src/db/embeddedPostgres';
import { freePort } from '../../src/temporal/devServer';
import { freshDatabaseUrl } from '../support/database';

const ROOT = path.resolve(__dirname, '../..');
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

async function query<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'embedded-pg-test-'));
  // As root, the server runs as the user postgres: it must reach its data in here.
  await chmod(dir, 0o711);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("the run's server", () => {
  it('answers at TEST_DATABASE_ADMIN_URL, PostgreSQL 17', async () => {
    const [row] = await query<{ server_version: string }>(process.env.TEST_DATABASE_ADMIN_URL!, 'SHOW server_version');
    expect(row!.server_version).toMatch(/^17\./);
  });

  it('gives each test a database of its own, copied from the migrated template', async () => {
    const [a, b] = await Promise.all([freshDatabaseUrl(), freshDatabaseUrl()]);
    expect(a).not.toBe(b);
    for (const url of [a, b]) {
      const applied = await query<{ name: string }>(url, 'SELECT name FROM schema_migrations');
      expect(applied.map((m) => m.name)).toEqual(['1764670000000_contacts-schedule-attempts', '1764700000000_campaign-agents', '1764800000000_calling-rules', '1764900000000_attempt-dialled']);
      const tables = await query<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
      expect(tables.map((t) => t.tablename)).toEqual([
        'attempt', 'campaign', 'campaign_zone_set', 'contact', 'disposition', 'dnc', 'hold', 'schema_migrations', 'zone_set',
      ]);
    }
    await query(a, 'CREATE TABLE only_in_a (n int)');
    expect(await query(b, "SELECT 1 FROM pg_tables WHERE tablename = 'only_in_a'")).toEqual([]);
  });

  it('keeps every session out of the template, which a copy needs', async () => {
    const template = new URL(process.env.TEST_DATABASE_ADMIN_URL!);
    template.pathname = `/${process.env.TEST_DATABASE_TEMPLATE}`;
    await expect(query(template.toString(), 'SELECT 1')).rejects.toThrow(/not currently accepting connections/);
  });
});

describe('startEmbeddedPostgres', () => {
  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot('as root, refuses data under a directory the user postgres cannot reach, saying which and why', async () => {
    await chmod(dir, 0o700);
    const dataDir = path.join(dir, 'private', 'data');
    await expect(startEmbeddedPostgres({ dataDir, persistent: false, logger })).rejects.toThrow(
      `PostgreSQL runs as the user postgres, which cannot reach ${path.dirname(dataDir)}`,
    );
  });

  it('initialises a new directory, and starts it again with its data and password', async () => {
    const dataDir = path.join(dir, 'pg');
    const first = await startEmbeddedPostgres({ dataDir, persistent: true, logger });
    expect(first.url).toMatch(/^postgres:\/\/postgres:[0-9a-f]{48}@127\.0\.0\.1:\d+\/postgres$/);
    expect((await stat(passwordFileOf(dataDir))).mode & 0o777).toBe(0o600);
    const postmaster = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0];
    expect(first.pid()).toBe(Number(postmaster));
    const url = await createDatabase(first.url, 'kept');
    await query(url, 'CREATE TABLE t AS SELECT 42 AS n');
    await first.stop();
    expect(first.pid()).toBeUndefined();

    const port = await freePort();
    const second = await startEmbeddedPostgres({ dataDir, port, persistent: true, logger });
    try {
      expect(second.url).toBe(first.url.replace(/:\d+\/postgres$/, `:${port}/postgres`));
      expect(await query(second.url.replace(/\/postgres$/, '/kept'), 'SELECT n FROM t')).toEqual([{ n: 42 }]);
    } finally {
      await second.stop();
    }
  });

  it('recovers the data after the postmaster was killed, its postmaster.pid left behind', async () => {
    const dataDir = path.join(dir, 'pg');
    const first = await startEmbeddedPostgres({ dataDir, persistent: true, logger });
    await query(first.url, 'CREATE TABLE t AS SELECT 7 AS n');
    process.kill(first.pid()!, 'SIGKILL');
    expect(await first.crashed).toEqual({ code: null, signal: 'SIGKILL' });
    expect(first.pid()).toBeUndefined();
    await expect(stat(path.join(dataDir, 'postmaster.pid'))).resolves.toBeDefined();
    await first.stop(); // nothing left to stop

    const second = await startEmbeddedPostgres({ dataDir, persistent: true, logger });
    try {
      expect(await query(second.url, 'SELECT n FROM t')).toEqual([{ n: 7 }]);
    } finally {
      await second.stop();
    }
  });

  it('deletes the data and its password at stop when not persistent', async () => {
    const dataDir = path.join(dir, 'pg');
    const server = await startEmbeddedPostgres({ dataDir, persistent: false, logger });
    await server.stop();
    await expect(stat(dataDir)).rejects.toThrow(/ENOENT/);
    await expect(stat(passwordFileOf(dataDir))).rejects.toThrow(/ENOENT/);
  });

  it('says why when the server cannot start: here, its port is taken', async () => {
    const server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'a'), persistent: true, logger });
    try {
      const port = Number(new URL(server.url).port);
      await expect(startEmbeddedPostgres({ dataDir: path.join(dir, 'b'), port, persistent: true, logger })).rejects.toThrow(
        /PostgreSQL exited before it was ready[\s\S]*Address already in use/,
      );
    } finally {
      await server.stop();
    }
  });
});

describe('src/db/embeddedMain.ts', () => {
  /** Starts it and resolves with its ready line. */
  function startMain(dataDir: string, port: number): { child: ChildProcess; ready: Promise<{ url: string; pid: number }>; exit: Promise<number | null> } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/db/embeddedMain.ts', '--data-dir', dataDir, '--port', String(port)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const ready = new Promise<{ url: string; pid: number }>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as { url: string; pid: number });
      });
      void exit.then((code) => reject(new Error(`embeddedMain exited ${code} before it was ready:\n${err}`)));
    });
    return { child, ready, exit };
  }

  it('prints its URL and postmaster pid, exits 1 when the postmaster is killed, recovers on the same dir and port', async () => {
    const dataDir = path.join(dir, 'pg');
    const port = await freePort();
    const first = startMain(dataDir, port);
    const { url, pid } = await first.ready;
    expect(url).toMatch(new RegExp(`^postgres://postgres:[0-9a-f]+@127\\.0\\.0\\.1:${port}/postgres$`));
    await query(url, 'CREATE TABLE t AS SELECT 1 AS n');
    process.kill(pid, 'SIGKILL');
    expect(await first.exit).toBe(1);

    const second = startMain(dataDir, port);
    const again = await second.ready;
    expect(again.url).toBe(url);
    expect(await query(url, 'SELECT n FROM t')).toEqual([{ n: 1 }]);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
    // Stopped, not orphaned: nothing answers any more.
    await expect(query(url, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
  });
});
