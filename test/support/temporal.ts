/**
 * Helpers for tests that talk to the run's dev server (started by globalSetup.ts).
 *
 * Connections are opened once per test file and closed by an `afterAll` this module registers, so test files
 * must not close them. Import this module at the top level of a test file.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';

export function testAddress(): string {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run the tests through jest (globalSetup)');
  return address;
}

export function testNamespace(): string {
  return process.env.TEMPORAL_TEST_NAMESPACE || 'default';
}

let clientPromise: Promise<{ connection: Connection; client: Client }> | undefined;
let nativePromise: Promise<NativeConnection> | undefined;

/** Client connection to the test server, shared by the test file. */
export function testConnection(): Promise<{ connection: Connection; client: Client }> {
  clientPromise ??= Connection.connect({ address: testAddress() }).then((connection) => ({
    connection,
    client: new Client({ connection, namespace: testNamespace() }),
  }));
  return clientPromise;
}

/**
 * The SDK's own log (worker state changes...) at TEMPORAL_TEST_LOG_LEVEL, default WARN, unless the test file
 * installed a Runtime itself before its first worker.
 */
export function quietRuntime(): void {
  const level = (process.env.TEMPORAL_TEST_LOG_LEVEL?.toUpperCase() || 'WARN') as LogLevel;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // Already installed (by the test file, or earlier here).
  }
}

/** Worker-side (Rust) connection to the test server, shared by the test file. */
export function testNativeConnection(): Promise<NativeConnection> {
  if (!nativePromise) quietRuntime();
  nativePromise ??= NativeConnection.connect({ address: testAddress() });
  return nativePromise;
}

export type TestWorkerOptions = Omit<WorkerOptions, 'connection' | 'namespace'>;

/**
 * A worker on the test server running the run's workflow bundle (TEMPORAL_TEST_BUNDLE) unless the options name
 * their own `workflowBundle`/`workflowsPath`. Run it with `worker.runUntil(promise)`.
 */
export async function createTestWorker(opts: TestWorkerOptions): Promise<Worker> {
  const ownWorkflows = opts.workflowBundle !== undefined || opts.workflowsPath !== undefined;
  const codePath = process.env.TEMPORAL_TEST_BUNDLE;
  if (!ownWorkflows && !codePath) {
    throw new Error('TEMPORAL_TEST_BUNDLE is not set: globalSetup found no workflow code to bundle');
  }
  return Worker.create({
    ...(ownWorkflows ? {} : { workflowBundle: { codePath: codePath! } }),
    shutdownGraceTime: '1s',
    ...opts,
    connection: await testNativeConnection(),
    namespace: testNamespace(),
  });
}

let queueCounter = 0;
/** A task queue no other test (file, run) uses. */
export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${process.pid}-${++queueCounter}-${randomBytes(4).toString('hex')}`;
}

/** A workflow id no other test uses. */
export function uniqueWorkflowId(prefix = 'wf'): string {
  return uniqueTaskQueue(prefix);
}

async function closeConnections(): Promise<void> {
  const c = clientPromise;
  const n = nativePromise;
  clientPromise = undefined;
  nativePromise = undefined;
  await Promise.all([
    c?.then(({ connection }) => connection.close()).catch(() => undefined),
    n?.then((conn) => conn.close()).catch(() => undefined),
  ]);
}

if (typeof afterAll === 'function') afterAll(closeConnections);

/** Every run of a workflow id (continue-as-new makes several), per the visibility store. */
export async function runsOf(client: Client, workflowId: string): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(run);
  return runs;
}
