/** `npm run api`: the API in the foreground; `startApi` runs it in-process for `npm start`. */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import { type Config, exitOnConfigError, loadConfigOrExit, requireDatabaseUrl } from '../config';
import { migrateOrExit, openDatabase } from '../db/database';
import { createLogger, type Logger } from '../logger';
import { stopOnSignals } from '../shutdown';
import { createApp } from './app';
import { replyToClientError } from './errors';
import { createApiClient, createApiConnection, rpcsSettled } from './temporal';

export interface RunningApi {
  url: string;
  stop(): Promise<void>;
}

/** Requests still running this long after stop() are cut off. */
const DRAIN_TIMEOUT_MS = 10_000;

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    const cutOff = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
    cutOff.unref();
    server.close((err) => {
      clearTimeout(cutOff);
      if (err) reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

/** The HTTP server of the API: requests Node itself refuses get the API's error shape too. */
export function createApiServer(app: Express): Server {
  return createServer(app).on('clientError', replyToClientError);
}

/** Serves the API on config.port, with its own Temporal connection and database pool (config.database.url). */
export async function startApi(config: Config, logger: Logger): Promise<RunningApi> {
  const connection = createApiConnection(config.temporal);
  const client = createApiClient(config.temporal, connection);
  const database = openDatabase(requireDatabaseUrl(config), logger);
  const app = createApp({ config, client, pool: database.pool, logger });
  const server = createApiServer(app);
  let port: number;
  try {
    port = await listen(server, config.port);
  } catch (err) {
    await Promise.all([connection.close(), database.close()]);
    throw err;
  }
  const url = `http://localhost:${port}`;
  logger.info({ url, temporal: config.temporal.address, namespace: config.temporal.namespace }, 'api listening');
  let stopping: Promise<void> | undefined;
  return {
    url,
    stop: () => {
      stopping ??= (async () => {
        // Open event streams would hold the server's close until the drain timeout.
        app.closeStreams();
        await close(server);
        await rpcsSettled(client);
        await Promise.all([connection.close(), database.close()]);
        logger.info('api stopped');
      })();
      return stopping;
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const databaseUrl = exitOnConfigError(() => requireDatabaseUrl(config));
  const logger = createLogger('api', config.logLevel);
  await migrateOrExit(databaseUrl, logger);
  const api = await startApi(config, logger);
  stopOnSignals(logger, () => api.stop());
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`api failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
