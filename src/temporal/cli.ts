/**
 * Finds, or builds, the Temporal CLI that runs the local dev server.
 *
 * Order: `TEMPORAL_CLI_PATH`; `temporal` on PATH; our cache
 * (`${XDG_CACHE_HOME:-~/.cache}/campaign-dialer/temporal-<version>/temporal`); a build with Go into that cache.
 * When none of these works the caller falls back to the SDK's dev-server download (needs internet).
 */
import { execFile, spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

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

async function isExecutableFile(p: string): Promise<boolean> {
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

/**
 * `go install <module>@<version>` with GOBIN in a fresh temp dir next to the cache, then an atomic rename into the
 * cache: a killed build leaves only a temp dir (removed on the next try), never a half-written binary.
 */
async function buildTemporalCli(
  go: string,
  target: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<string> {
  const cacheDir = temporalCliCacheDir(env);
  const parent = join(cacheDir, '..');
  await mkdir(parent, { recursive: true });
  await removeStaleBuildDirs(parent);
  const buildDir = await mkdtemp(join(parent, `.build-temporal-${TEMPORAL_CLI_VERSION}-`));
  const spec = `${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`;
  const started = Date.now();
  log(`building Temporal CLI: ${go} install ${spec} (a few minutes on a fresh machine)`);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, ['install', spec], {
        cwd: buildDir, // outside any go.mod
        env: { ...env, GOBIN: buildDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const tail: string[] = [];
      const onData = (chunk: Buffer): void => {
        for (const line of chunk.toString().split('\n')) {
          if (!line.trim()) continue;
          tail.push(line);
          if (tail.length > 40) tail.shift();
          log(`go: ${line.replace(/^go: /, '')}`);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const ticker = setInterval(() => {
        log(`still building Temporal CLI (${Math.round((Date.now() - started) / 1000)} s)...`);
      }, 20_000);
      child.on('error', (err) => {
        clearInterval(ticker);
        reject(err);
      });
      child.on('close', (code, signal) => {
        clearInterval(ticker);
        if (code === 0) resolve();
        else reject(new Error(`go install ${spec} failed (${signal ?? `exit ${code}`}):\n${tail.join('\n')}`));
      });
    });
    const built = join(buildDir, process.platform === 'win32' ? 'temporal.exe' : 'temporal');
    const version = await cliVersion(built);
    if (!version) throw new Error(`the freshly built ${built} does not run '--version'`);
    await chmod(built, 0o755);
    await mkdir(cacheDir, { recursive: true });
    await rename(built, target);
    log(`built ${version} in ${Math.round((Date.now() - started) / 1000)} s: ${target}`);
    return target;
  } finally {
    await rm(buildDir, { recursive: true, force: true });
  }
}

/** Temp dirs of builds killed over an hour ago (a build takes minutes; a concurrent one may own a younger dir). */
async function removeStaleBuildDirs(parent: string): Promise<void> {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (!name.startsWith('.build-temporal-')) continue;
    const p = join(parent, name);
    const s = await stat(p).catch(() => undefined);
    if (s && s.mtimeMs < hourAgo) await rm(p, { recursive: true, force: true });
  }
}
