/**
 * Once per Jest run: one headless Temporal dev server (free port, SQLite file in a fresh temp dir) and one bundle of
 * the workflow code, handed to the test files (which run in other processes) through environment variables:
 *
 * - TEMPORAL_TEST_ADDRESS   `host:port` of the server (preset it to use a server you run yourself)
 * - TEMPORAL_TEST_NAMESPACE namespace, `default`
 * - TEMPORAL_TEST_BUNDLE    path of the workflow bundle (JS); unset when there is no workflow code to bundle
 * - TEMPORAL_TEST_DB        the server's SQLite file (unset with a preset address)
 *
 * TEMPORAL_TEST_WORKFLOWS_PATH overrides what is bundled (default: src/workflows/index.ts).
 * TEMPORAL_TEST_KEEP=1 keeps the temp dir (database, bundle) after the run.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';

export interface TestRunState {
  server?: DevServer;
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
  const state: TestRunState = { tmpDir };
  globalThis.__TEMPORAL_TEST_RUN__ = state;
  process.env.TEMPORAL_TEST_NAMESPACE ??= 'default';

  const workflowsPath = process.env.TEMPORAL_TEST_WORKFLOWS_PATH
    ? resolve(process.env.TEMPORAL_TEST_WORKFLOWS_PATH)
    : DEFAULT_WORKFLOWS_PATH;

  const [, bundlePath] = await Promise.all([startServer(state), bundle(workflowsPath, tmpDir)]);
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
