/**
 * Rate limits at the edge (express-rate-limit, counted in memory by each API process).
 *
 * - Management routes: RATE_LIMIT_PER_MIN per client. A request carrying the API key counts against
 *   the key; any other (no key configured, or a missing or wrong one) against its IP. So guessing
 *   keys spends the guesser's budget, not the key holder's, and made-up keys do not escape the limit.
 * - Webhooks: their own WEBHOOK_RATE_LIMIT_PER_MIN per IP, far above what a provider bursts, so
 *   status callbacks never wait on operators' traffic nor on a low management limit. The signature
 *   check is what really guards them; this limit only caps a runaway or hostile sender.
 *
 * Refused requests get 429 `rate_limited` with Retry-After (seconds until the window resets).
 */
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { apiKeyCheck } from './auth';
import { ApiError } from './errors';

export const RATE_LIMIT_WINDOW_SEC = 60;

const passThrough: RequestHandler = (_req, _res, next) => next();

/** The client's address, IPv6 grouped by /56 so one host cannot rotate through its own subnet. */
function ipKey(req: Request): string {
  return `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
}

function limiter(perMinute: number, what: string, key: (req: Request) => string, logger: Logger): RequestHandler {
  if (perMinute === 0) return passThrough;
  return rateLimit({
    windowMs: RATE_LIMIT_WINDOW_SEC * 1000,
    limit: perMinute,
    // RateLimit / RateLimit-Policy on every answer, and Retry-After on a 429.
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: key,
    handler: (_req, res, next) => {
      const retryAfterSec = Number(res.get('Retry-After'));
      const message = `more than ${perMinute} ${what} requests per minute; retry in ${retryAfterSec} s`;
      const details = { limit: perMinute, windowSec: RATE_LIMIT_WINDOW_SEC, retryAfterSec };
      next(new ApiError('rate_limited', message, details));
    },
    // Its configuration warnings (e.g. X-Forwarded-For without `trust proxy`) go to our log, once.
    logger: {
      warn: (err, message) => logger.warn({ err: String(err) }, message ?? 'rate limiter'),
      error: (err, message) => logger.error({ err: String(err) }, message ?? 'rate limiter'),
    },
  });
}

export function managementRateLimit(config: Pick<Config, 'apiKey' | 'rateLimit'>, logger: Logger): RequestHandler {
  const { apiKey, rateLimit: limits } = config;
  const hasKey = apiKey === undefined ? () => false : apiKeyCheck(apiKey);
  return limiter(limits.perMinute, 'management', (req) => (hasKey(req) ? 'api-key' : ipKey(req)), logger);
}

export function webhookRateLimit(config: Pick<Config, 'rateLimit'>, logger: Logger): RequestHandler {
  return limiter(config.rateLimit.webhooksPerMinute, 'webhook', ipKey, logger);
}
