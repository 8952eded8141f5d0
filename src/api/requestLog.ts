/** One structured line per request: method, path, status, duration. Never bodies or query strings. */
import type { RequestHandler } from 'express';
import type { Logger } from '../logger';

export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    // The path as received: routers rewrite req.path, and the query string may carry contact data.
    const path = req.originalUrl.split('?')[0];
    res.once('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = { method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 };
      if (res.writableFinished) logger.info(line, 'request');
      else logger.warn(line, 'request aborted by the client');
    });
    next();
  };
}
