/**
 * Once per Jest run, in parallel: one headless Temporal dev server (free port, SQLite file in a fresh temp dir), one
 * bundle of the workflow code, and one embedded PostgreSQL (data in the same temp dir) holding a migrated template
 * database, handed to the test files (which run in other processes) through environment variables:
 *
 * - TEMPORAL_TEST_ADDRESS   `host:port` of the server (preset it to use a server you run yourself)
 * - TEMPORAL_TEST_NAMESPACE namespace, `default`
 * - TEMPORAL_TEST_BUNDLE    path of the workflow bundle (JS); unset when there is no workflow code to bundle
 * - TEMPORAL_TEST_DB        the server's SQLite file (unset with a preset address)
 * - TEST_DATABASE_ADMIN_URL URL of the PostgreSQL server's `postgres` database, as a superuser (preset it to use a
 *                           server you run yourself: the template is then made there, and test databases are left there)
 * - TEST_DATABASE_TEMPLATE  the migrated template, `dialer_template`; test/support/database.ts copies it for each test
 *
 * TEMPORAL_TEST_WORKFLOWS_PATH overrides what is bundled (default: src/workflows/index.ts).
 * TEMPORAL_TEST_KEEP=1 keeps the temp dir (Temporal's and PostgreSQL's data, bundle) after the run.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import pg from 'pg';
import pino from 'pino';
import { migrateDatabase } from '../../src/db/database';
import { createDatabase, type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embeddedPostgres';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';

export interface TestRunState {
  server?: DevServer;
  postgres?: EmbeddedPostgres;
  tmpDir: string;
}

declare global {
  var __TEMPORAL_TEST_RUN__: TestRunState | undefined;
}

const DEFAULT_WORKFLOWS_PATH = resolve(__dirname, '../../src/workflows/index.ts');

const note = (line: string): void => {
  process.stderr.write(`[temporal-test] ${line}\n`);
};

export default async function globalSetup(): Promise<void> {
  const tmpDir = await mkdtemp(join(tmpdir(), 'campaign-dialer-test-'));
  // Run as root, PostgreSQL runs as the user postgres, which must reach its data in here.
  await chmod(tmpDir, 0o711);
  const state: TestRunState = { tmpDir };
  globalThis.__TEMPORAL_TEST_RUN__ = state;
  process.env.TEMPORAL_TEST_NAMESPACE ??= 'default';

  const workflowsPath = process.env.TEMPORAL_TEST_WORKFLOWS_PATH
    ? resolve(process.env.TEMPORAL_TEST_WORKFLOWS_PATH)
    : DEFAULT_WORKFLOWS_PATH;

  const [, bundlePath] = await Promise.all([startServer(state), bundle(workflowsPath, tmpDir), startDatabase(state)]);
  if (bundlePath) process.env.TEMPORAL_TEST_BUNDLE = bundlePath;
  else delete process.env.TEMPORAL_TEST_BUNDLE;
}

async function startServer(state: TestRunState): Promise<void> {
  if (process.env.TEMPORAL_TEST_ADDRESS) {
    note(`using the server at TEMPORAL_TEST_ADDRESS=${process.env.TEMPORAL_TEST_ADDRESS}`);
    return;
  }
  const started = Date.now();
  const dbFilename = join(state.tmpDir, 'temporal.sqlite');
  state.server = await startDevServer({
    dbFilename,
    port: 0,
    uiPort: null,
    namespace: process.env.TEMPORAL_TEST_NAMESPACE,
  });
  process.env.TEMPORAL_TEST_ADDRESS = state.server.address;
  process.env.TEMPORAL_TEST_DB = dbFilename;
  note(`dev server ${state.server.address} (${state.server.kind}) ready in ${Date.now() - started} ms`);
}

const TEMPLATE = 'dialer_template';

async function startDatabase(state: TestRunState): Promise<void> {
  const started = Date.now();
  // The server's warnings and errors (a crash) on stderr; TEST_LOG_LEVEL=debug shows its every line.
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' }, pino.destination(2));
  let adminUrl = process.env.TEST_DATABASE_ADMIN_URL;
  if (adminUrl) {
    note(`using the PostgreSQL server at TEST_DATABASE_ADMIN_URL (template ${TEMPLATE} made afresh there)`);
    await query(adminUrl, `DROP DATABASE IF EXISTS ${TEMPLATE}`);
  } else {
    state.postgres = await startEmbeddedPostgres({ dataDir: join(state.tmpDir, 'postgres'), persistent: true, logger });
    adminUrl = state.postgres.url;
    process.env.TEST_DATABASE_ADMIN_URL = adminUrl;
  }
  const ready = Date.now();
  await migrateDatabase(await createDatabase(adminUrl, TEMPLATE), logger);
  // No session may use a template while it is copied: none can connect to this one.
  await query(adminUrl, `ALTER DATABASE ${TEMPLATE} WITH ALLOW_CONNECTIONS false`);
  process.env.TEST_DATABASE_TEMPLATE = TEMPLATE;
  note(`PostgreSQL ready in ${ready - started} ms, template ${TEMPLATE} migrated in ${Date.now() - ready} ms`);
}

async function query(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function bundle(workflowsPath: string, tmpDir: string): Promise<string | undefined> {
  if (!existsSync(workflowsPath)) {
    note(`no workflow code at ${workflowsPath}: TEMPORAL_TEST_BUNDLE not set`);
    return undefined;
  }
  const started = Date.now();
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  const codePath = join(tmpDir, 'workflow-bundle.js');
  await writeFile(codePath, code);
  note(`workflow bundle of ${workflowsPath} in ${Date.now() - started} ms`);
  return codePath;
}
