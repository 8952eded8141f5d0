/**
 * Finds, or builds, the Temporal CLI that runs the local dev server.
 *
 * Order: `TEMPORAL_CLI_PATH`; `temporal` on PATH; our cache
 * (`${XDG_CACHE_HOME:-~/.cache}/campaign-dialer/temporal-<version>/temporal`); a build with Go into that cache.
 * When none of these works the caller falls back to the SDK's dev-server download (needs internet).
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { goInstall } from './goInstall';

export const TEMPORAL_CLI_VERSION = '1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export interface FindTemporalCliOptions {
  /** Environment to read `TEMPORAL_CLI_PATH`, `PATH`, `XDG_CACHE_HOME` and `HOME` from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Build the CLI with Go when it is nowhere else (takes minutes). Default: false for find, true for ensure. */
  build?: boolean;
  /** Progress lines (a build takes minutes). Default: written to stderr. */
  log?: (line: string) => void;
}

const defaultLog = (line: string): void => {
  process.stderr.write(`[temporal-cli] ${line}\n`);
};

/** `${XDG_CACHE_HOME or ~/.cache}/campaign-dialer/temporal-<version>`. */
export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'campaign-dialer', `temporal-${TEMPORAL_CLI_VERSION}`);
}

/** Where the cached (or Go-built) CLI lives. */
export function cachedTemporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(temporalCliCacheDir(env), process.platform === 'win32' ? 'temporal.exe' : 'temporal');
}

/** First line of `<exe> --version`, or undefined when it does not run. */
export function cliVersion(exe: string, timeoutMs = 15_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(exe, ['--version'], { timeout: timeoutMs }, (err, stdout) => {
      resolve(err ? undefined : stdout.split('\n')[0]?.trim() || undefined);
    });
  });
}

export async function isExecutableFile(p: string): Promise<boolean> {
  try {
    await access(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable named `name` on `PATH`. */
export async function whichOnPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      if (await isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * The Temporal CLI, without downloading anything. With `build: true`, builds it with Go when Go is on PATH.
 * Undefined when there is none: the caller then falls back to the SDK's download.
 * Throws when `TEMPORAL_CLI_PATH` is set but does not run, or when a Go build fails.
 */
export async function findTemporalCli(opts: FindTemporalCliOptions = {}): Promise<string | undefined> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? defaultLog;

  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!(await cliVersion(explicit))) {
      throw new Error(`TEMPORAL_CLI_PATH=${explicit} does not run '${explicit} --version'`);
    }
    return explicit;
  }

  const onPath = await whichOnPath('temporal', env);
  if (onPath && (await cliVersion(onPath))) return onPath;

  const cached = cachedTemporalCliPath(env);
  if ((await isExecutableFile(cached)) && (await cliVersion(cached))) return cached;

  if (!opts.build) return undefined;
  const go = await whichOnPath('go', env);
  if (!go) {
    log(`no Temporal CLI found and no 'go' on PATH to build it; falling back to the SDK's download`);
    return undefined;
  }
  return buildTemporalCli(go, cached, env, log);
}

/** Builds the CLI with Go into the cache (see goInstall.ts). */
async function buildTemporalCli(go: string, target: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<string> {
  await goInstall({
    go,
    specs: [`${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`],
    binaries: [{ built: 'temporal', cached: basename(target) }],
    cacheDir: temporalCliCacheDir(env),
    env,
    log,
    label: `Temporal CLI ${TEMPORAL_CLI_VERSION}`,
    check: async (binary) => {
      if (!(await cliVersion(binary))) throw new Error(`the freshly built ${binary} does not run '--version'`);
    },
  });
  return target;
}
