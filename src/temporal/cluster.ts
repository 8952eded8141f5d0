/**
 * A production-like Temporal cluster on this machine, without Docker: the v1.29.1 server binary on
 * PostgreSQL, configured by deploy/temporal (the files docker-compose.yml mounts), as N nodes that
 * each run all four services on ports of their own and find each other through the database. Clients
 * reach the frontends through one TCP address, as through a load balancer: a connection goes to the
 * first node that accepts it, so a killed node's clients reconnect to another.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { isPortFree, isTemporalReachable } from './devServer';
import { outputTail } from '../shared/outputTail';
import type { ServerBinaries } from './serverBinaries';

const execFileAsync = promisify(execFile);
const DEPLOY = path.resolve(__dirname, '../../deploy');
const TAIL_LINES = 40;

export interface ClusterDatabase {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Temporal's two databases, created by deploy/temporal/schema.sh. */
  database: string;
  visibilityDatabase: string;
}

export interface ClusterNode {
  index: number;
  /** This node's own frontend. */
  address: string;
  /** Its history service, as tdbg names a shard's owner. */
  historyAddress: string;
  pid(): number | undefined;
  /** The node's last lines of output. */
  tail(): string[];
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface Cluster {
  /** The load balancer's address: what clients use. */
  address: string;
  nodes: ClusterNode[];
  /** Starts node `index` again (after a kill), on its ports. */
  restart(index: number): Promise<ClusterNode>;
  stop(): Promise<void>;
}

/** The environment deploy/temporal/config.yaml reads, with the image's variable names. */
export function clusterEnv(db: ClusterDatabase, ports: NodePorts): Record<string, string> {
  return {
    POSTGRES_SEEDS: db.host,
    DB_PORT: String(db.port),
    POSTGRES_USER: db.user,
    POSTGRES_PWD: db.password,
    DBNAME: db.database,
    VISIBILITY_DBNAME: db.visibilityDatabase,
    NUM_HISTORY_SHARDS: '4',
    BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    FRONTEND_GRPC_PORT: String(ports.frontend),
    FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    HISTORY_GRPC_PORT: String(ports.history),
    HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    MATCHING_GRPC_PORT: String(ports.matching),
    MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    WORKER_GRPC_PORT: String(ports.worker),
    WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    DYNAMIC_CONFIG_FILE_PATH: path.join(DEPLOY, 'temporal', 'dynamicconfig.yaml'),
    TEMPORAL_ALLOW_NO_AUTH: 'true',
    LOG_LEVEL: 'warn',
  };
}

export interface NodePorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

async function nodePorts(): Promise<NodePorts> {
  const keys = [
    'frontend',
    'frontendHttp',
    'frontendMembership',
    'history',
    'historyMembership',
    'matching',
    'matchingMembership',
    'worker',
    'workerMembership',
  ] as const;
  const ports = new Set<number>();
  // Below 32768: the cluster_membership table keeps membership ports as a smallint (and the kernel's
  // ephemeral range starts above it). Drawn at random and checked free, until all differ.
  while (ports.size < keys.length) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.has(port) && (await isPortFree(port))) ports.add(port);
  }
  const list = [...ports];
  return Object.fromEntries(keys.map((k, i) => [k, list[i]!])) as unknown as NodePorts;
}

/** deploy/temporal/schema.sh with this SQL tool: the same steps the compose stack runs. */
export async function setUpClusterSchema(binaries: ServerBinaries, db: ClusterDatabase): Promise<void> {
  await execFileAsync('sh', [path.join(DEPLOY, 'temporal', 'schema.sh')], {
    env: {
      ...process.env,
      SQL_TOOL: binaries.sqlTool,
      POSTGRES_SEEDS: db.host,
      DB_PORT: String(db.port),
      POSTGRES_USER: db.user,
      SQL_PASSWORD: db.password,
      DBNAME: db.database,
      VISIBILITY_DBNAME: db.visibilityDatabase,
    },
  });
}

function startNode(binaries: ServerBinaries, db: ClusterDatabase, index: number, ports: NodePorts): ClusterNode {
  const child: ChildProcess = spawn(binaries.server, ['-r', DEPLOY, '-c', 'temporal', '-e', 'config', 'start'], {
    env: { ...process.env, ...clusterEnv(db, ports) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = outputTail(child, TAIL_LINES);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const killOnExit = (): void => void (running() && child.kill('SIGKILL'));
  process.on('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  return {
    index,
    address: `127.0.0.1:${ports.frontend}`,
    historyAddress: `127.0.0.1:${ports.history}`,
    pid: () => (running() ? child.pid : undefined),
    tail: () => [...lines],
    async kill(signal) {
      if (running()) child.kill(signal);
      await exited;
    },
  };
}

async function untilServing(node: ClusterNode, timeoutMs: number): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await isTemporalReachable(node.address, 1_000))) {
    if (node.pid() === undefined) throw new Error(`Temporal node ${node.index} exited:\n${node.tail().join('\n')}`);
    if (Date.now() > giveUpAt) throw new Error(`Temporal node ${node.index} not serving within ${timeoutMs} ms:\n${node.tail().join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** One TCP address for every frontend: each connection goes to the first node, in turn, that accepts it. */
function frontendBalancer(backends: () => string[]): Promise<{ address: string; close(): Promise<void> }> {
  let next = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.pause();
    const candidates = backends();
    const start = next++ % Math.max(1, candidates.length);
    const attempt = (tried: number): void => {
      if (tried >= candidates.length) return void client.destroy();
      const [host, port] = candidates[(start + tried) % candidates.length]!.split(':') as [string, string];
      const upstream = createConnection({ host, port: Number(port) });
      let connected = false;
      // Refused (the node is down): the next one; failed later: the client reconnects.
      upstream.once('error', () => (connected ? client.destroy() : attempt(tried + 1)));
      upstream.once('connect', () => {
        connected = true;
        sockets.add(upstream);
        upstream.once('close', () => sockets.delete(upstream));
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
        client.resume();
      });
    };
    attempt(0);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        address: `127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

export async function startCluster(binaries: ServerBinaries, db: ClusterDatabase, nodeCount = 2): Promise<Cluster> {
  await setUpClusterSchema(binaries, db);
  const ports = await Promise.all(Array.from({ length: nodeCount }, () => nodePorts()));
  const nodes: ClusterNode[] = [];
  // One at a time: the first creates the cluster's metadata, the others join it.
  for (let i = 0; i < nodeCount; i++) {
    const node = startNode(binaries, db, i, ports[i]!);
    nodes.push(node);
    await untilServing(node, 90_000);
  }
  const balancer = await frontendBalancer(() => nodes.filter((n) => n.pid() !== undefined).map((n) => n.address));
  return {
    address: balancer.address,
    nodes,
    async restart(index) {
      const node = startNode(binaries, db, index, ports[index]!);
      nodes[index] = node;
      await untilServing(node, 90_000);
      return node;
    },
    async stop() {
      await balancer.close();
      await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
    },
  };
}

/** Which node's history service owns the workflow's shard, as tdbg reads it from the cluster. */
export async function shardOwner(binaries: ServerBinaries, cluster: Cluster, namespace: string, workflowId: string): Promise<{ shardId: number; node: ClusterNode }> {
  const { stdout } = await execFileAsync(binaries.tdbg, ['--address', cluster.address, '--namespace', namespace, 'workflow', 'describe', '--workflow-id', workflowId], {
    timeout: 30_000,
  });
  // tdbg ends its description with "History service address: host:port" and "Shard Id: n".
  const shardId = Number(/^Shard Id:\s*(\d+)/m.exec(stdout)?.[1]);
  const historyAddr = /^History service address:\s*(\S+)/m.exec(stdout)?.[1];
  if (!Number.isInteger(shardId) || historyAddr === undefined) throw new Error(`tdbg workflow describe gave no shard owner:\n${stdout.slice(-600)}`);
  const node = cluster.nodes.find((n) => n.historyAddress === historyAddr);
  if (!node) throw new Error(`no node has the history address ${historyAddr}`);
  return { shardId, node };
}
