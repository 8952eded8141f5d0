/**
 * One of the dialer's processes (the worker, the API) as its own OS process, started from its entry
 * point as production runs it, so its memory is its own and its peak resident size can be read from /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { outputTail } from '../shared/outputTail';

const ROOT = path.resolve(__dirname, '../..');
const TAIL_LINES = 40;

export interface ServiceProcess {
  pid: number;
  /** Resolves once the process logs its ready line; rejects if it exits first or times out. */
  ready: Promise<void>;
  /** Peak resident set size so far (VmHWM) in MB, or null where /proc is not available. */
  peakRssMb(): Promise<number | null>;
  /** SIGTERM (the process drains), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface ServiceSpec {
  /** For messages: `worker`, `api`. */
  name: string;
  /** The entry point, relative to the project root. */
  entry: string;
  /** A log line containing this means ready. */
  readyText: string;
}

export const WORKER: ServiceSpec = { name: 'worker', entry: 'src/worker/main.ts', readyText: 'worker ready' };
export const API: ServiceSpec = { name: 'api', entry: 'src/api/main.ts', readyText: 'api listening' };

export function startServiceProcess(spec: ServiceSpec, env: Record<string, string>, readyTimeoutMs = 120_000): ServiceProcess {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', spec.entry], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let sawReady = false;
  const readyListeners = new Set<() => void>();
  const tail = outputTail(child, TAIL_LINES, (line) => {
    if (!sawReady && line.includes(spec.readyText)) {
      sawReady = true;
      for (const listener of readyListeners) listener();
    }
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      tail.push(`spawn failed: ${err.message}`);
      resolve();
    });
  });
  const isRunning = (): boolean => child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  // A crash of the bench must not leave the process running.
  const killOnExit = (): void => {
    if (isRunning()) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${spec.name} not ready within ${readyTimeoutMs} ms:\n${tail.join('\n')}`)),
      readyTimeoutMs,
    );
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    if (sawReady) done();
    readyListeners.add(done);
    void exited.then(() => {
      clearTimeout(timer);
      if (!sawReady) reject(new Error(`${spec.name} exited before it was ready:\n${tail.join('\n')}`));
    });
  });
  // Nobody may be awaiting `ready` when the process dies later; the rejection is seen through stop().
  ready.catch(() => undefined);

  return {
    pid: child.pid ?? -1,
    ready,
    async peakRssMb() {
      if (child.pid === undefined || !isRunning()) return null;
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
      const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];
      return kb === undefined ? null : Number(kb) / 1024;
    },
    async stop(graceMs = 15_000) {
      if (isRunning()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (isRunning()) child.kill('SIGKILL');
        }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      process.off('exit', killOnExit);
    },
  };
}
