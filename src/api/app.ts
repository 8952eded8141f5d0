/**
 * The Express application: routes, request ids and log, error shape. No listening, so tests drive it
 * directly.
 */
import express from 'express';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Pool } from '../db/database';
import type { Logger } from '../logger';
import { campaignsRouter } from './campaigns';
import { consoleRouter } from './console';
import { dncRouter } from './dnc';
import { errorHandler, notFoundHandler } from './errors';
import { eventFeeds } from './events';
import { opsRouter } from './ops';
import { requestLog } from './requestLog';
import { webhooksRouter } from './webhooks';

export interface AppDeps {
  config: Config;
  client: Client;
  /** The dialer's database: campaigns, numbers and results are read and written there. */
  pool: Pool;
  logger: Logger;
}

/** The app, and how to end its live streams before the server closes. */
export type DialerApp = express.Express & { closeStreams(): void };

export function createApp(deps: AppDeps): DialerApp {
  const app = express();
  app.disable('x-powered-by');
  // Helmet's defaults (nosniff, HSTS, frame and referrer policies...), with the CSP narrowed to
  // nothing at all: the API answers JSON, so no browser should load or frame anything (the console's
  // files set a CSP of their own).
  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    }),
  );
  app.use(requestLog(deps.logger));
  app.use(opsRouter(deps));
  app.use('/campaigns', campaignsRouter(deps));
  // At the root: it serves /dnc and its sibling /dnc.csv.
  app.use(dncRouter(deps));
  app.use('/webhooks', webhooksRouter(deps));
  const feeds = eventFeeds(deps);
  app.use('/events', feeds.router);
  app.use(consoleRouter(deps));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return Object.assign(app, { closeStreams: feeds.close });
}
