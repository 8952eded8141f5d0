/**
 * Webhook signatures: `X-Dialer-Timestamp: <unix seconds>` and
 * `X-Dialer-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Config } from '../config';
import { ApiError } from './errors';

export const TIMESTAMP_HEADER = 'X-Dialer-Timestamp';
export const SIGNATURE_HEADER = 'X-Dialer-Signature';
/** A timestamp further than this from now, either way, is refused: it bounds replays. */
export const MAX_CLOCK_SKEW_SEC = 300;

function hmac(secret: string, timestamp: string, rawBody: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

/** The headers a sender attaches; used by tests and by anything that posts to the webhooks. */
export function signWebhook(
  secret: string,
  rawBody: Buffer | string,
  nowSec = Math.floor(Date.now() / 1000),
): Record<typeof TIMESTAMP_HEADER | typeof SIGNATURE_HEADER, string> {
  const timestamp = String(nowSec);
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: `sha256=${hmac(secret, timestamp, rawBody).toString('hex')}`,
  };
}

export interface SignedDelivery {
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: Buffer;
}

/** Why a delivery is refused, or null when its signature holds. */
export function signatureProblem(secret: string, delivery: SignedDelivery, nowMs = Date.now()): string | null {
  const { timestamp, signature, rawBody } = delivery;
  if (timestamp === undefined || signature === undefined) return `missing ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER}`;
  if (!/^\d{1,12}$/.test(timestamp)) return `${TIMESTAMP_HEADER} must be unix seconds`;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > MAX_CLOCK_SKEW_SEC) {
    return `${TIMESTAMP_HEADER} is more than ${MAX_CLOCK_SKEW_SEC} s from now`;
  }
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(signature.trim());
  if (match === null) return `${SIGNATURE_HEADER} must be sha256=<64 hex digits>`;
  const given = Buffer.from(match[1]!, 'hex');
  if (!timingSafeEqual(given, hmac(secret, timestamp, rawBody))) return 'signature does not match';
  return null;
}

/** Reads the raw body that express.raw() left in req.body (absent when the request had no body). */
export function rawBodyOf(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

/**
 * Must run after express.raw(). Without WEBHOOK_SECRET, webhooks are refused unless the built-in
 * simulator is the only possible sender (local runs), which then may post unsigned.
 */
export function requireWebhookSignature(config: Pick<Config, 'webhookSecret' | 'builtInSimulator'>): RequestHandler {
  const { webhookSecret, builtInSimulator } = config;
  return (req, _res, next) => {
    if (webhookSecret === undefined) {
      const refusal = new ApiError('unauthorized', 'webhooks are disabled: WEBHOOK_SECRET is not set');
      next(builtInSimulator ? undefined : refusal);
      return;
    }
    const problem = signatureProblem(webhookSecret, {
      timestamp: req.get(TIMESTAMP_HEADER),
      signature: req.get(SIGNATURE_HEADER),
      rawBody: rawBodyOf(req.body),
    });
    next(problem === null ? undefined : new ApiError('unauthorized', problem));
  };
}
