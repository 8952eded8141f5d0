/**
 * Request ids, and one structured line per request: id, method, path, status, duration. Never bodies
 * or query strings.
 */
import { randomBytes } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../logger';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What an incoming id may look like to be kept: anything else (log injection, huge values) is replaced. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * 96 random bits as three groups of 8 hex digits. Not a UUID: its 12-digit group holds 9 digits in a
 * row now and then, which the logger masks as a possible phone number, and the log would no longer
 * show the id the client got.
 */
export function newRequestId(): string {
  return (randomBytes(12).toString('hex').match(/.{8}/g) ?? []).join('-');
}

/**
 * The caller's id when sane (so a proxy's or a client's id follows the request), else a new one. A
 * sane id with 9+ digits in a row is kept, and masked in the logs like any other text.
 */
export function requestIdFor(incoming: string | undefined): string {
  return incoming !== undefined && SANE_REQUEST_ID.test(incoming) ? incoming : newRequestId();
}

/** The request id requestLog gave this response, for log lines written elsewhere. */
export function requestIdOf(res: Response): string | undefined {
  const id: unknown = res.locals.requestId;
  return typeof id === 'string' ? id : undefined;
}

export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFor(req.get(REQUEST_ID_HEADER));
    res.locals.requestId = requestId;
    res.set(REQUEST_ID_HEADER, requestId);
    // The path as received: routers rewrite req.path, and the query string may carry contact data.
    const path = req.originalUrl.split('?')[0];
    res.once('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = { requestId, method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 };
      if (res.writableFinished) logger.info(line, 'request');
      // An event stream ends when its page closes: that is its normal end, not an abort.
      else if (res.locals.eventStream === true) logger.info(line, 'event stream closed');
      else logger.warn(line, 'request aborted by the client');
    });
    next();
  };
}
