/**
 * `go install` of Temporal's binaries into a cache outside the checkout: GOBIN is a fresh temp dir next
 * to the cache, and each binary is checked, then renamed into place. A killed build leaves only a temp
 * dir (removed on a later try), never a half-written binary.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { outputTail } from '../shared/outputTail';

export interface GoInstall {
  go: string;
  /** `module/path@vX.Y.Z` of each binary. */
  specs: string[];
  /** Per spec: the name go gives the binary (its last path element) and the name it gets in the cache. */
  binaries: Array<{ built: string; cached: string }>;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** What is being built, for progress lines. */
  label: string;
  /** Throws when a freshly built binary does not run. */
  check: (binary: string) => Promise<void>;
}

export async function goInstall(o: GoInstall): Promise<void> {
  const parent = join(o.cacheDir, '..');
  await mkdir(parent, { recursive: true });
  await removeStaleBuildDirs(parent);
  const buildDir = await mkdtemp(join(parent, `.build-temporal-`));
  const started = Date.now();
  o.log(`building ${o.label}: ${o.go} install ${o.specs.join(' ')} (minutes on a fresh machine)`);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(o.go, ['install', ...o.specs], {
        cwd: buildDir, // outside any go.mod
        env: { ...o.env, GOBIN: buildDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const tail = outputTail(child, 40, (line) => o.log(`go: ${line.replace(/^go: /, '')}`));
      const ticker = setInterval(() => o.log(`still building ${o.label} (${Math.round((Date.now() - started) / 1000)} s)...`), 20_000);
      child.on('error', (err) => {
        clearInterval(ticker);
        reject(err);
      });
      child.on('close', (code, signal) => {
        clearInterval(ticker);
        if (code === 0) resolve();
        else reject(new Error(`go install ${o.specs.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail.join('\n')}`));
      });
    });
    await mkdir(o.cacheDir, { recursive: true });
    for (const { built, cached } of o.binaries) {
      const binary = join(buildDir, process.platform === 'win32' ? `${built}.exe` : built);
      await o.check(binary);
      await chmod(binary, 0o755);
      await rename(binary, join(o.cacheDir, cached));
    }
    o.log(`built ${o.label} in ${Math.round((Date.now() - started) / 1000)} s: ${o.cacheDir}`);
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
