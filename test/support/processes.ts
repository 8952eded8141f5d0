/**
 * The dialer as separate OS processes (worker, API, simulator), the way production runs it, so tests
 * can SIGKILL and restart any of them. Each runs its real entry point under `node --import tsx`
 * (one process, so a SIGKILL hits the program itself and leaves no orphan).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { freePort } from '../../src/temporal/devServer';
import { freshDatabaseUrl } from './database';

const ROOT = path.resolve(__dirname, '../..');

export const ENTRY_POINTS = {
  worker: 'src/worker/main.ts',
  api: 'src/api/main.ts',
  simulator: 'src/simulator/main.ts',
  /** An embedded PostgreSQL of its own (args: --data-dir, --port), for tests that crash the database. */
  postgres: 'src/db/embeddedMain.ts',
} as const;

export type Role = keyof typeof ENTRY_POINTS;

export interface Managed {
  role: Role;
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when the output contains `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

export function startProcess(role: Role, env: Record<string, string>, args: string[] = []): Managed {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY_POINTS[role], ...args], {
    cwd: ROOT,
    // Several workers run at once in tests: no metrics port unless a test asks for one.
    env: { ...process.env, WORKER_METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer): void => {
    out += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    role,
    child,
    output: () => out,
    waitFor(text, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (out.includes(text)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`${role} did not print "${text}" within ${timeoutMs} ms:\n${out.slice(-2000)}`));
        }, timeoutMs);
        listeners.add(check);
        child.once('exit', () => {
          check();
          if (!out.includes(text)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`${role} exited before printing "${text}":\n${out.slice(-2000)}`));
          }
        });
        check();
      });
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

/** API, simulator and workers as processes on free ports, sharing one environment. */
export interface ProcessDialer {
  env: Record<string, string>;
  /** Base URLs of the API and the simulator. */
  api: string;
  sim: string;
  /** Every process started so far, in start order (killed ones included). */
  all: Managed[];
  /** Starts a process of `role` (with `args`) and resolves once it printed `ready`. */
  start(role: Role, ready: string, args?: string[]): Promise<Managed>;
}

/** `env` adds to (or overrides) what every role needs: ports, URLs, a fresh secret, task queue and database (a fresh one unless DATABASE_URL is given). */
export async function processDialer(name: string, env: Record<string, string> = {}): Promise<ProcessDialer> {
  const [apiPort, simPort, databaseUrl] = await Promise.all([freePort(), freePort(), env.DATABASE_URL ?? freshDatabaseUrl()]);
  const api = `http://127.0.0.1:${apiPort}`;
  const sim = `http://127.0.0.1:${simPort}`;
  const full: Record<string, string> = {
    TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS!,
    TEMPORAL_TASK_QUEUE: `${name}-${randomBytes(4).toString('hex')}`,
    WORKFLOW_BUNDLE_PATH: process.env.TEMPORAL_TEST_BUNDLE!,
    PORT: String(apiPort),
    PUBLIC_BASE_URL: api,
    WEBHOOK_SECRET: randomBytes(16).toString('hex'),
    TELEPHONY_BASE_URL: sim,
    AGENT_API_BASE_URL: sim,
    SIMULATOR_PORT: String(simPort),
    SIM_TIME_SCALE: '0.01',
    AGENT_POLL_SEC: '1',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    ...env,
  };
  const all: Managed[] = [];
  return {
    env: full,
    api,
    sim,
    all,
    async start(role, ready, args) {
      const p = startProcess(role, full, args);
      all.push(p);
      await p.waitFor(ready);
      return p;
    },
  };
}
