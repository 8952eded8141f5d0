/**
 * A local Temporal dev server (the Temporal CLI's `server start-dev`) with a persistent SQLite file and the
 * campaign search attributes registered. Used by `npm start`/the demo (with the UI) and by the tests (headless).
 *
 * Without a CLI (see ./cli) it falls back to the SDK's `TestWorkflowEnvironment.createLocal`, which downloads the
 * same CLI (needs internet).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../workflows/searchAttributes';
import { cachedTemporalCliPath, findTemporalCli } from './cli';
import { outputTail } from '../shared/outputTail';

export type DevServerLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'never';

export interface DevServerOptions {
  /** Frontend gRPC port; 0 (default) picks a free one. */
  port?: number;
  /** Web UI port; null or absent runs headless; 0 picks a free one. */
  uiPort?: number | null;
  /** SQLite file that keeps the server's state across restarts; its directory is created. */
  dbFilename: string;
  /** Namespace to create besides `default`. Default: `default`. */
  namespace?: string;
  /** Server log level. Default: warn. */
  logLevel?: DevServerLogLevel;
  /** Interface to bind the frontend (and UI) to. Default: 127.0.0.1. */
  ip?: string;
  /** How long to wait for the frontend to answer. Default: 60 s. */
  readyTimeoutMs?: number;
  /** CLI to run; default: {@link findTemporalCli}, building it with Go when needed. */
  cliPath?: string;
  /** Whether the CLI lookup may build it with Go (minutes). Default: true. */
  buildCli?: boolean;
  /** Each line the server writes (stdout and stderr). Default: kept only for error messages. */
  onLog?: (line: string) => void;
  /** stop(): time between SIGTERM and SIGKILL. Default: 10 s. */
  stopGraceMs?: number;
}

export interface DevServer {
  /** `host:port` of the frontend. */
  address: string;
  namespace: string;
  /** Web UI, when not headless. */
  uiUrl?: string;
  /** The server process, when we spawned it (not with the SDK fallback). */
  pid?: number;
  /** How the server was run. */
  kind: 'cli' | 'sdk-download';
  stop(): Promise<void>;
}

/**
 * SQLite settings. Each becomes `_pragma=K=V` on the server's DSN; all three are accepted by CLI 1.5.1
 * (SQLite ignores unknown pragmas silently, so typos would go unnoticed: keep this list short).
 * WAL: readers do not block the writer; synchronous=normal is safe with WAL (a power cut can lose the last
 * commits, not corrupt the file); busy_timeout avoids SQLITE_BUSY under bursts of concurrent writes.
 */
export const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal', 'busy_timeout=5000'];

const TAIL_LINES = 60;

/** A free TCP port on `ip` (the OS picks it; another process could still take it before the server does). */
export function freePort(ip = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, ip, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** Whether `ip:port` can be listened on now (else another process, maybe another dev server, holds it). */
export function isPortFree(port: number, ip = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolveFree) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolveFree(false));
    srv.listen(port, ip, () => srv.close(() => resolveFree(true)));
  });
}

/** Whether a Temporal frontend answers at `address` (`host:port`) within `timeoutMs`. */
export async function isTemporalReachable(address: string, timeoutMs = 2_000): Promise<boolean> {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  // Refused connections answer at once over TCP; gRPC's connect would retry until its timeout.
  if (m && !(await tcpAccepts(m[1]!, Number(m[2]), timeoutMs))) return false;
  let connection: Connection | undefined;
  try {
    // connect() itself calls GetSystemInfo, bounded by connectTimeout.
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

function serverArgs(o: {
  dbFilename: string;
  port: number;
  ip: string;
  uiPort: number | null;
  namespace: string;
  logLevel: DevServerLogLevel;
}): string[] {
  const args = ['server', 'start-dev', '--db-filename', o.dbFilename, '--port', String(o.port), '--ip', o.ip];
  args.push(...(o.uiPort === null ? ['--headless'] : ['--ui-port', String(o.uiPort)]));
  for (const p of SQLITE_PRAGMAS) args.push('--sqlite-pragma', p);
  for (const sa of SEARCH_ATTRIBUTE_REGISTRATIONS) args.push('--search-attribute', sa);
  if (o.namespace !== 'default') args.push('--namespace', o.namespace);
  args.push('--log-level', o.logLevel);
  return args;
}

/**
 * Starts a dev server and resolves once its frontend answers and the namespace exists.
 * Re-starting on the same `dbFilename` keeps workflows and re-registers the search attributes without error.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const dbFilename = resolve(opts.dbFilename);
  await mkdir(dirname(dbFilename), { recursive: true });
  const cli = opts.cliPath ?? (await findTemporalCli({ build: opts.buildCli ?? true }));
  if (!cli) return startWithSdkDownload({ ...opts, dbFilename });

  const ip = opts.ip ?? '127.0.0.1';
  const pickPort = !opts.port;
  const pickUiPort = opts.uiPort === 0;
  // A port picked by us can be taken before the server binds it: retry with another one.
  for (let attempt = 1; ; attempt++) {
    const port = pickPort ? await freePort(ip) : opts.port!;
    const uiPort = opts.uiPort == null ? null : pickUiPort ? await freePort(ip) : opts.uiPort;
    // Checked here because the readiness probe would take a server already on this port for ours.
    if (!pickPort && !(await isPortFree(port, ip))) {
      throw new DevServerStartError(`cannot start a Temporal dev server on ${ip}:${port}: address already in use`);
    }
    if (uiPort !== null && !pickUiPort && !(await isPortFree(uiPort, ip))) {
      throw new DevServerStartError(`cannot start the Temporal Web UI on ${ip}:${uiPort}: address already in use`);
    }
    try {
      return await spawnAndWait(cli, { ...opts, dbFilename, ip, port, uiPort });
    } catch (err) {
      const portClash = err instanceof DevServerStartError && /address already in use/i.test(err.message);
      if (!portClash || !(pickPort || pickUiPort) || attempt >= 3) throw err;
    }
  }
}

export class DevServerStartError extends Error {}

async function spawnAndWait(
  cli: string,
  o: DevServerOptions & { dbFilename: string; ip: string; port: number; uiPort: number | null },
): Promise<DevServer> {
  const namespace = o.namespace ?? 'default';
  const address = `${o.ip.includes(':') ? `[${o.ip}]` : o.ip}:${o.port}`;
  const args = serverArgs({ ...o, namespace, logLevel: o.logLevel ?? 'warn' });
  const started = Date.now();
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });

  const tail = outputTail(child, TAIL_LINES, o.onLog);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((res) => {
    child.on('error', (err) => {
      spawnError = err;
      res();
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      res();
    });
  });
  // If this process exits without stop() (a crash, process.exit), do not leave the server running.
  const killOnExit = (): void => {
    if (!exited) child.kill('SIGTERM');
  };
  process.on('exit', killOnExit);

  const stop = makeStop(child, exitPromise, () => exited !== undefined || spawnError !== undefined, o.stopGraceMs);
  const fail = async (why: string): Promise<never> => {
    await stop();
    process.off('exit', killOnExit);
    throw new DevServerStartError(
      `Temporal dev server (${cli} ${args.join(' ')}) ${why}\n--- server output (last ${TAIL_LINES} lines) ---\n${tail.join('\n')}`,
    );
  };

  const deadline = started + (o.readyTimeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    if (spawnError) return fail(`could not be spawned: ${spawnError.message}`);
    if (exited) return fail(`exited before it was ready (${exited.signal ?? `exit code ${exited.code}`})`);
    if (Date.now() > deadline) {
      return fail(`did not answer at ${address} within ${o.readyTimeoutMs ?? 60_000} ms: ${String(lastError)}`);
    }
    // A cheap TCP probe first: gRPC's connect backs off on refused connections and would add a second.
    if (!(await tcpAccepts(o.ip, o.port))) {
      await Promise.race([sleep(100), exitPromise]);
      continue;
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
      } finally {
        await connection.close().catch(() => undefined);
      }
      break;
    } catch (err) {
      lastError = err;
      await Promise.race([sleep(200), exitPromise]);
    }
  }

  return {
    address,
    namespace,
    uiUrl: o.uiPort === null ? undefined : `http://${o.ip === '0.0.0.0' ? 'localhost' : o.ip}:${o.uiPort}`,
    pid: child.pid,
    kind: 'cli',
    stop: async () => {
      await stop();
      process.off('exit', killOnExit);
    },
  };
}

function makeStop(
  child: ChildProcess,
  exitPromise: Promise<void>,
  hasExited: () => boolean,
  graceMs = 10_000,
): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      if (hasExited()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!hasExited()) child.kill('SIGKILL');
      }, graceMs);
      try {
        await exitPromise;
      } finally {
        clearTimeout(timer);
      }
    })();
    return stopping;
  };
}

function tcpAccepts(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((res) => {
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs);
    const done = (ok: boolean): void => {
      socket.destroy();
      res(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

/** Same server through the SDK, which downloads the CLI into the temp dir (needs internet). */
async function startWithSdkDownload(opts: DevServerOptions & { dbFilename: string }): Promise<DevServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const namespace = opts.namespace ?? 'default';
  const uiPort = opts.uiPort === 0 ? await freePort(opts.ip) : opts.uiPort;
  const extraArgs: string[] = [];
  for (const p of SQLITE_PRAGMAS) extraArgs.push('--sqlite-pragma', p);
  // As strings (not `searchAttributes` keys) so the list stays SEARCH_ATTRIBUTE_REGISTRATIONS.
  for (const sa of SEARCH_ATTRIBUTE_REGISTRATIONS) extraArgs.push('--search-attribute', sa);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      dbFilename: opts.dbFilename,
      namespace,
      ip: opts.ip ?? '127.0.0.1',
      port: opts.port || undefined,
      ui: uiPort != null,
      uiPort: uiPort ?? undefined,
      log: { format: 'pretty', level: opts.logLevel ?? 'warn' },
      extraArgs,
    },
  }).catch((err: unknown) => {
    throw new DevServerStartError(
      `no Temporal CLI (TEMPORAL_CLI_PATH, 'temporal' on PATH, ${cachedTemporalCliPath()}, or Go to build it) ` +
        `and the SDK's dev-server download failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  });
  let stopping: Promise<void> | undefined;
  return {
    address: env.address,
    namespace,
    uiUrl: uiPort == null ? undefined : `http://${opts.ip ?? '127.0.0.1'}:${uiPort}`,
    kind: 'sdk-download',
    stop: () => (stopping ??= env.teardown()),
  };
}
