/** Bearer API key on the management routes. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from './errors';

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Without a key every request passes; with one, `Authorization: Bearer <key>` is required. */
export function requireApiKey(apiKey: string | undefined): RequestHandler {
  if (apiKey === undefined) return (_req, _res, next) => next();
  // Hashing both sides gives equal lengths, so timingSafeEqual leaks neither the key nor its length.
  const expected = sha256(apiKey);
  return (req, res, next) => {
    const match = /^Bearer +(\S+) *$/i.exec(req.get('authorization') ?? '');
    if (match !== null && timingSafeEqual(sha256(match[1]!), expected)) {
      next();
      return;
    }
    res.set('WWW-Authenticate', 'Bearer');
    next(new ApiError('unauthorized', 'missing or wrong API key (Authorization: Bearer <API_KEY>)'));
  };
}
