/**
 * The production-like stack (docker-compose.yml, Dockerfile, .env.example) as files: no Docker engine
 * is needed. A Compose client, when one is installed, must accept the file; the rest is read from
 * the YAML itself, so that CI without Docker checks it too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { clusterEnv, type NodePorts } from '../src/temporal/cluster';
import { TEMPORAL_SERVER_VERSION } from '../src/temporal/serverBinaries';

const ROOT = path.resolve(__dirname, '..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/** Set in .env.example but read by docker-compose.yml only, not by the app. */
const COMPOSE_ONLY = ['POSTGRES_PASSWORD'];
/** Read by the app but not meant for .env: the dev server's CLI, and the bundle the image sets itself. */
const NOT_FOR_ENV_FILE = ['TEMPORAL_CLI_PATH', 'WORKFLOW_BUNDLE_PATH'];
/** Given to the API and the worker besides their own variables: node-postgres reads the database password there. */
const LIBPQ_VARIABLES = ['PGPASSWORD'];

interface Healthcheck {
  test: string | string[];
}
interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | null>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  init?: boolean;
  stop_grace_period?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** `NAME=value` lines, and `# NAME=value` ones (optional, left at the default they show). */
function envExample(): Map<string, string | undefined> {
  const vars = new Map<string, string | undefined>();
  for (const line of read('.env.example').split('\n')) {
    const m = /^(#\s?)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) vars.set(m[2]!, m[1] === undefined ? m[3] : undefined);
  }
  return vars;
}

/** Compose's interpolation: `$$`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`. */
function interpolate(text: string, env: ReadonlyMap<string, string | undefined>): string {
  return text.replace(/\$\$|\$\{([A-Z_][A-Z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g, (_whole, name?: string, colon?: string, op?: string, arg?: string) => {
    if (name === undefined) return '$';
    const value = env.get(name);
    const missing = value === undefined || (colon === ':' && value === '');
    if (!missing) return value;
    if (op === '?') throw new Error(`compose would refuse the file: ${name} unset (${arg})`);
    return op === '-' ? (arg ?? '') : '';
  });
}

/** Variables the compose file takes from .env (not the `$$` escapes the containers' shells expand). */
function interpolatedVariables(text: string): Set<string> {
  return new Set([...text.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!));
}

/** The keys of the zod environment schemas: what each process validates at start. */
function schemaVariables(file: string): string[] {
  return [...read(file).matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
}

const rawCompose = read('docker-compose.yml');
const example = envExample();
/** Compose interpolates values after parsing, so "3000" stays a string, as the containers see it. */
function interpolateValues(node: unknown): unknown {
  if (typeof node === 'string') return interpolate(node, example);
  if (Array.isArray(node)) return node.map(interpolateValues);
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateValues(v)]));
  }
  return node;
}
const compose = interpolateValues(YAML.parse(rawCompose, { merge: true })) as ComposeFile;
const service = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`no service ${name} in docker-compose.yml`);
  return s;
};
const text = (value: string | string[] | undefined): string => (Array.isArray(value) ? value.join(' ') : (value ?? ''));
/** "127.0.0.1:8080:8080" or "3000:3000" → the published (host) port and the container's. */
const published = (s: Service): Array<{ host: number; container: number }> =>
  (s.ports ?? []).map((p) => {
    const parts = String(p).split(':');
    return { host: Number(parts.at(-2)), container: Number(parts.at(-1)) };
  });

const apiVariables = schemaVariables('src/config.ts');
const simulatorVariables = schemaVariables('src/simulator/env.ts');
const appVariables = new Set([...apiVariables, ...simulatorVariables]);

describe('the Compose client', () => {
  /** `docker compose` (v2) or `docker-compose` (1.29 and later), whichever answers. */
  function composeClient(): string[] | undefined {
    for (const argv of [['docker', 'compose'], ['docker-compose']]) {
      const r = spawnSync(argv[0]!, [...argv.slice(1), 'version'], { encoding: 'utf8', timeout: 30_000 });
      if (r.status === 0) return argv;
    }
    return undefined;
  }
  const client = composeClient();
  // Only PATH and HOME: variables of the developer's shell must not stand in for .env ones.
  const run = (envFile: string, ...args: string[]) =>
    spawnSync(client![0]!, [...client!.slice(1), '--env-file', envFile, '-f', 'docker-compose.yml', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() },
    });

  it('accepts the file with .env.example, with and without the simulator profile', () => {
    if (!client) {
      process.stderr.write('[compose] SKIPPED: neither `docker compose` nor `docker-compose` is installed; the file is checked from its YAML only\n');
      return;
    }
    process.stderr.write(`[compose] checking with \`${client.join(' ')} config\`\n`);
    for (const args of [['config', '-q'], ['--profile', 'simulator', 'config', '-q']]) {
      const r = run('.env.example', ...args);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    }
  });

  it('refuses to start without the secrets, naming the missing one', () => {
    if (!client) {
      process.stderr.write('[compose] SKIPPED: no Compose client to refuse the file\n');
      return;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'dialer-compose-'));
    try {
      const empty = path.join(dir, 'empty.env');
      writeFileSync(empty, '');
      const r = run(empty, 'config', '-q');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/(POSTGRES_PASSWORD|API_KEY|WEBHOOK_SECRET)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docker-compose.yml', () => {
  it('has PostgreSQL, the schema job, Temporal, the UI, the API, the worker and the simulator', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['api', 'postgresql', 'simulator', 'temporal', 'temporal-schema', 'temporal-ui', 'worker'].sort(),
    );
    expect(service('simulator').profiles).toEqual(['simulator']);
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'api', 'worker']) {
      expect(service(name).profiles).toBeUndefined();
    }
  });

  it('publishes the UI on 8080, the API on 3000 and the Temporal frontend on 7233', () => {
    expect(published(service('temporal-ui'))).toEqual([{ host: 8080, container: 8080 }]);
    expect(published(service('api'))).toEqual([{ host: 3000, container: 3000 }]);
    expect(published(service('temporal'))).toEqual([{ host: 7233, container: 7233 }]);
    // The UI and the frontend have no login: this host only.
    expect(service('temporal-ui').ports![0]).toMatch(/^127\.0\.0\.1:/);
    expect(service('temporal').ports![0]).toMatch(/^127\.0\.0\.1:/);
    expect(service('worker').expose).toEqual(['9464']);
  });

  it('keeps PostgreSQL data in a named volume', () => {
    const [volume, mountPoint] = service('postgresql').volumes![0]!.split(':');
    expect(mountPoint).toBe('/var/lib/postgresql/data');
    expect(Object.keys(compose.volumes ?? {})).toContain(volume);
  });

  it('runs Temporal on PostgreSQL, its schema set up by the admin tools of the same version', () => {
    const serverTag = service('temporal').image!.replace(/^temporalio\/server:/, '');
    expect(serverTag).toBe(TEMPORAL_SERVER_VERSION);
    const tag = service('temporal-schema').image!.replace(/^temporalio\/admin-tools:/, '');
    expect(tag === serverTag || tag.startsWith(`${serverTag}-`)).toBe(true);
    expect(service('temporal').environment).toMatchObject({ POSTGRES_SEEDS: 'postgresql', NUM_HISTORY_SHARDS: 4 });
  });

  it('gives the dialer a database of its own on the same PostgreSQL, made before the dialer starts', () => {
    expect(service('temporal-schema').command).toEqual(['dialer']);
    for (const name of ['api', 'worker']) {
      expect(service(name).environment).toMatchObject({
        DATABASE_URL: 'postgres://temporal@postgresql:5432/dialer',
        PGPASSWORD: 'change-me', // POSTGRES_PASSWORD's
      });
    }
  });

  it('runs Temporal as npm run test:cluster does: the same config, dynamic config and schema steps', () => {
    // The files src/temporal/cluster.ts starts the server binary with, and deploy/temporal/schema.sh.
    expect(service('temporal').volumes).toEqual([
      './deploy/temporal/config.yaml:/etc/temporal/config/docker.yaml:ro',
      './deploy/temporal/dynamicconfig.yaml:/etc/temporal/config/dynamicconfig/dialer.yaml:ro',
    ]);
    expect(service('temporal').environment).toMatchObject({ DYNAMIC_CONFIG_FILE_PATH: '/etc/temporal/config/dynamicconfig/dialer.yaml' });
    expect(service('temporal-schema').volumes).toEqual(['./deploy/temporal:/etc/dialer-temporal:ro']);
    expect(service('temporal-schema').entrypoint).toEqual(['/bin/sh', '/etc/dialer-temporal/schema.sh']);
    // Every variable the cluster's nodes get that the config reads is set for the compose server too,
    // apart from the ports (compose runs one node on the template's defaults) and the databases' names.
    const clusterOnly = /_PORT$|^DBNAME$|^VISIBILITY_DBNAME$|^LOG_LEVEL$/;
    // The template's defaults, as the compose server runs.
    const ports: NodePorts = {
      frontend: 7233,
      frontendHttp: 7243,
      frontendMembership: 6933,
      history: 7234,
      historyMembership: 6934,
      matching: 7235,
      matchingMembership: 6935,
      worker: 7239,
      workerMembership: 6939,
    };
    const db = { host: 'postgresql', port: 5432, user: 'temporal', password: 'p', database: 'temporal', visibilityDatabase: 'temporal_visibility' };
    const nodeEnv = clusterEnv(db, ports);
    const composeEnv = Object.keys(service('temporal').environment ?? {});
    for (const name of Object.keys(nodeEnv).filter((n) => !clusterOnly.test(n))) expect(composeEnv).toContain(name);
    // And the config reads only variables one of the two sets.
    const read = [...readFileSync(path.join(ROOT, 'deploy/temporal/config.yaml'), 'utf8').matchAll(/env "([A-Z_]+)"/g)].map((m) => m[1]!);
    for (const name of new Set(read)) expect([...Object.keys(nodeEnv), ...composeEnv, 'SQL_MAX_CONNS']).toContain(name);
  });

  it('starts in order: health checks and depends_on conditions', () => {
    const dependsOn = Object.fromEntries(
      Object.entries(compose.services).map(([name, s]) => [
        name,
        Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([dep, { condition }]) => [dep, condition])),
      ]),
    );
    expect(dependsOn).toEqual({
      postgresql: {},
      'temporal-schema': { postgresql: 'service_healthy' },
      temporal: { 'temporal-schema': 'service_completed_successfully' },
      'temporal-ui': { temporal: 'service_healthy' },
      api: { temporal: 'service_healthy' },
      worker: { temporal: 'service_healthy' },
      // Never waited for: a provider may come and go, and webhooks and activities retry.
      simulator: {},
    });
    const health = (name: string): string => text(service(name).healthcheck?.test);
    expect(health('postgresql')).toContain('pg_isready');
    expect(health('temporal')).toContain('temporal operator cluster health');
    expect(health('temporal-ui')).toContain('/healthz');
    expect(health('api')).toMatch(/\/(readyz|healthz)/);
    expect(health('api')).toContain('process.env.PORT');
    expect(health('worker')).toContain('/metrics');
    expect(health('worker')).toContain('process.env.WORKER_METRICS_PORT');
  });

  it('runs the API, the worker and the simulator from one image built by the Dockerfile', () => {
    for (const [role, name] of [['api', 'api'], ['worker', 'worker'], ['simulator', 'simulator']] as const) {
      const s = service(name);
      expect(s.build).toBe('.');
      expect(s.image).toBe(service('api').image);
      expect(s.command).toEqual(['node', `dist/src/${role}/main.js`]);
      expect(existsSync(path.join(ROOT, `src/${role}/main.ts`))).toBe(true);
      expect(s.init).toBe(true); // node is not PID 1: SIGTERM reaches the handlers that drain
    }
    // Longer than each process's own drain, or Docker SIGKILLs a clean stop half-way.
    expect(service('api').stop_grace_period).toBe('15s');
    expect(service('worker').stop_grace_period).toBe('30s');
  });

  it('hands the API and the worker every variable they read, and the simulator every one it reads', () => {
    for (const name of ['api', 'worker']) {
      expect(Object.keys(service(name).environment ?? {}).sort()).toEqual([...new Set([...apiVariables, ...LIBPQ_VARIABLES])].sort());
    }
    expect(Object.keys(service('simulator').environment ?? {}).sort()).toEqual([...new Set(simulatorVariables)].sort());
    // Compose's names for the services, as the dialer sees them.
    expect(service('api').environment).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'default',
      PORT: '3000',
      WORKER_METRICS_PORT: '9464',
      API_KEY: 'change-me',
      WEBHOOK_SECRET: 'change-me',
    });
  });
});

describe('.env.example', () => {
  it('lists every variable the app reads, and nothing else but the compose file\'s own', () => {
    for (const name of ['RATE_LIMIT_PER_MIN', 'WEBHOOK_RATE_LIMIT_PER_MIN', 'WORKER_METRICS_PORT']) {
      expect(appVariables).toContain(name);
    }
    expect([...example.keys()].sort()).toEqual([...new Set([...appVariables, ...COMPOSE_ONLY])].sort());
  });

  it('matches what docker-compose.yml takes from .env, so a value set there is never ignored', () => {
    expect([...interpolatedVariables(rawCompose)].sort()).toEqual([...example.keys()].sort());
  });

  it('sets the secrets compose requires, and leaves everything else at its default', () => {
    const required = [...rawCompose.matchAll(/\$\{([A-Z_][A-Z0-9_]*):\?/g)].map((m) => m[1]!);
    expect([...new Set(required)].sort()).toEqual(['API_KEY', 'POSTGRES_PASSWORD', 'WEBHOOK_SECRET']);
    const set = [...example].filter(([, value]) => value !== undefined).map(([name]) => name);
    expect(set.sort()).toEqual(['API_KEY', 'POSTGRES_PASSWORD', 'WEBHOOK_SECRET']);
  });

  it('has every variable the README\'s configuration table names', () => {
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    const named = new Set([...table.matchAll(/^\|[^|]*/gm)].flatMap((row) => [...row[0].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!)));
    expect(named.size).toBeGreaterThan(20);
    const missing = [...named].filter((name) => !example.has(name) && !NOT_FOR_ENV_FILE.includes(name));
    expect(missing).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1)!;

  it('builds in one stage and runs production dependencies only in the last', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toContain('COPY tsconfig.json tsconfig.build.json');
    expect(stages[0]).toContain('npm run build');
    expect(runtime).toMatch(/npm ci --omit=dev/);
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
  });

  it('prebuilds the workflow bundle the worker loads', () => {
    const build = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.build!;
    const bundle = /bundleWorkflows\.js (\S+)/.exec(build)?.[1];
    expect(bundle).toBe('dist/workflow-bundle.js');
    expect(runtime).toContain(`WORKFLOW_BUNDLE_PATH=/app/${bundle}`);
  });

  it('runs as a user other than root', () => {
    const user = /^USER (\S+)/m.exec(runtime)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
  });
});
