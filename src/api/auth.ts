/** Bearer API key on the management routes. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ApiError } from './errors';

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The token of `Authorization: Bearer <token>` (any case of "Bearer"), if the header has that form. */
export function bearerToken(req: Request): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(req.get('authorization') ?? '')?.[1];
}

/** Whether a request carries the API key. */
export type ApiKeyCheck = (req: Request) => boolean;

export function apiKeyCheck(apiKey: string): ApiKeyCheck {
  // Hashing both sides gives equal lengths, so timingSafeEqual leaks neither the key nor its length.
  const expected = sha256(apiKey);
  return (req) => {
    const token = bearerToken(req);
    return token !== undefined && timingSafeEqual(sha256(token), expected);
  };
}

/** Without a key every request passes; with one, `Authorization: Bearer <key>` is required. */
export function requireApiKey(apiKey: string | undefined): RequestHandler {
  if (apiKey === undefined) return (_req, _res, next) => next();
  const hasKey = apiKeyCheck(apiKey);
  return (req, res, next) => {
    if (hasKey(req)) {
      next();
      return;
    }
    res.set('WWW-Authenticate', 'Bearer');
    next(new ApiError('unauthorized', 'missing or wrong API key (Authorization: Bearer <API_KEY>)'));
  };
}
