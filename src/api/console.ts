/**
 * The supervisors' console: its built files (npm run build:console) at `/`, and what the page needs
 * to know before signing in. The page talks to the same HTTP API as everyone else.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import type { AppDeps } from './app';
import { ApiError } from './errors';

/** Same-origin only, nothing inline: the page's script and styles are files of its own. */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface ConsoleConfig {
  /** The API asks for a key: the page signs in first. */
  authRequired: boolean;
  namespace: string;
  /** Where campaign pages link to their workflow; null: no link. */
  temporalUiUrl: string | null;
}

export function consoleRouter({ config }: AppDeps): Router {
  const router = express.Router();
  const { dir, temporalUiUrl } = config.console;
  // Nothing secret: whether a key is needed, and where the Temporal UI is.
  router.get('/console/config', (_req, res) => {
    const body: ConsoleConfig = { authRequired: config.apiKey !== undefined, namespace: config.temporal.namespace, temporalUiUrl: temporalUiUrl ?? null };
    res.json(body);
  });
  router.use(
    express.static(dir, {
      index: 'index.html',
      // The page is small and changes with every build: always revalidated, never stale.
      cacheControl: true,
      maxAge: 0,
      setHeaders: (res) => res.set('content-security-policy', CONSOLE_CSP),
    }),
  );
  router.get('/', (_req, _res) => {
    // Reached only when the static files are missing.
    const built = existsSync(path.join(dir, 'index.html'));
    throw new ApiError('not_ready', built ? 'the console cannot be served' : `the console is not built in ${dir}: run npm run build:console`);
  });
  return router;
}
