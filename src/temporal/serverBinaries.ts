/**
 * The Temporal server v1.29.1, its SQL tool and tdbg (the admin CLI that tells which node owns a
 * workflow's shard), for a production-like cluster on PostgreSQL: from the cache
 * (`${XDG_CACHE_HOME:-~/.cache}/campaign-dialer/temporal-server-<version>/`), or built there with Go
 * (about 8 minutes cold, seconds warm).
 *
 *   npx tsx src/temporal/serverBinaries.ts    # prints the cache directory once the binaries are there
 */
import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isExecutableFile, whichOnPath } from './cli';
import { goInstall } from './goInstall';

export const TEMPORAL_SERVER_VERSION = '1.29.1';
const MODULE = 'go.temporal.io/server';

export interface ServerBinaries {
  server: string;
  sqlTool: string;
  tdbg: string;
}

const BINARIES = [
  { spec: `${MODULE}/cmd/server`, built: 'server', cached: 'temporal-server', key: 'server' },
  { spec: `${MODULE}/cmd/tools/sql`, built: 'sql', cached: 'temporal-sql-tool', key: 'sqlTool' },
  { spec: `${MODULE}/cmd/tools/tdbg`, built: 'tdbg', cached: 'tdbg', key: 'tdbg' },
] as const;

export function serverCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'campaign-dialer', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

/** Whether `<binary> --help` runs (none of the three has a --version that all share). */
function runs(binary: string): Promise<boolean> {
  return new Promise((resolve) => execFile(binary, ['--help'], { timeout: 15_000 }, (err) => resolve(!err)));
}

export async function ensureServerBinaries(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`[temporal-server] ${line}\n`),
): Promise<ServerBinaries> {
  const dir = serverCacheDir(env);
  const paths = Object.fromEntries(BINARIES.map((b) => [b.key, join(dir, b.cached)])) as unknown as ServerBinaries;
  const present = await Promise.all(BINARIES.map(async (b) => (await isExecutableFile(paths[b.key])) && (await runs(paths[b.key]))));
  if (present.every(Boolean)) return paths;
  const go = await whichOnPath('go', env);
  if (!go) throw new Error(`the Temporal server ${TEMPORAL_SERVER_VERSION} is not in ${dir}, and there is no 'go' on PATH to build it`);
  await goInstall({
    go,
    specs: BINARIES.map((b) => `${b.spec}@v${TEMPORAL_SERVER_VERSION}`),
    binaries: BINARIES.map(({ built, cached }) => ({ built, cached })),
    cacheDir: dir,
    env,
    log,
    label: `Temporal server ${TEMPORAL_SERVER_VERSION}`,
    check: async (binary) => {
      if (!(await runs(binary))) throw new Error(`the freshly built ${binary} does not run '--help'`);
    },
  });
  return paths;
}

if (require.main === module) {
  ensureServerBinaries().then(
    () => process.stdout.write(`${serverCacheDir()}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
