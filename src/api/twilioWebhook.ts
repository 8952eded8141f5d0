/**
 * Twilio's status callbacks (POST /webhooks/twilio/call-status?callId=…, form-encoded), checked with
 * the library's X-Twilio-Signature validation and turned into the contract's call status report.
 * The route is always there; without TELEPHONY_PROVIDER=twilio it refuses every delivery (401).
 */
import type { Request, RequestHandler } from 'express';
import twilio from 'twilio';
import { z } from 'zod';
import { TWILIO_CALL_STATUSES, contractStatusOf } from '../activities/twilioStatus';
import type { Config } from '../config';
import { ApiError } from './errors';
import { parseOrThrow } from './schemas';
import { rawBodyOf } from './signature';

export const TWILIO_SIGNATURE_HEADER = 'X-Twilio-Signature';

/** The form fields of a delivery; a repeated field keeps every value, as Twilio signs them. */
function formOf(req: Request): Record<string, string | string[]> {
  const form: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(rawBodyOf(req.body).toString('utf8'))) {
    const held = form[name];
    form[name] = held === undefined ? value : [...(Array.isArray(held) ? held : [held]), value];
  }
  return form;
}

/**
 * Must run after express.raw(). Twilio signs the URL it called (PUBLIC_BASE_URL and the path and
 * query as received) and the form fields, with the account's auth token.
 */
export function requireTwilioSignature(config: Pick<Config, 'twilio' | 'publicBaseUrl'>): RequestHandler {
  return (req, _res, next) => {
    if (config.twilio === undefined) {
      next(new ApiError('unauthorized', 'Twilio status callbacks are disabled: TELEPHONY_PROVIDER is not twilio'));
      return;
    }
    const signature = req.get(TWILIO_SIGNATURE_HEADER);
    if (signature === undefined) {
      next(new ApiError('unauthorized', `missing ${TWILIO_SIGNATURE_HEADER}`));
      return;
    }
    const url = `${config.publicBaseUrl}${req.originalUrl}`;
    let valid: boolean;
    try {
      valid = twilio.validateRequest(config.twilio.authToken, signature, url, formOf(req));
    } catch {
      valid = false; // a URL the library cannot read was signed by nobody
    }
    next(valid ? undefined : new ApiError('unauthorized', `${TWILIO_SIGNATURE_HEADER} does not match this request`));
  };
}

const firstOf = (value: unknown): unknown => (Array.isArray(value) ? value[0] : value);

const callbackSchema = z.object({
  CallStatus: z.preprocess(firstOf, z.enum(TWILIO_CALL_STATUSES)),
  // RFC 2822, e.g. "Tue, 10 Aug 2021 17:45:00 +0000".
  Timestamp: z.preprocess(
    firstOf,
    z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'expected an RFC 2822 date').optional(),
  ),
  CallDuration: z.preprocess(firstOf, z.string().regex(/^\d{1,9}$/, 'expected whole seconds').optional()),
});

/**
 * The delivery as the contract's report ({callId, status, durationSec, timestamp}), for the same
 * path as POST /webhooks/call-status, which validates it. The callId is the one this dialler put in
 * the callback URL; a delivery without Timestamp is taken as sent now.
 */
export function twilioCallReport(req: Request, now = Date.now()): Record<string, unknown> {
  const form = parseOrThrow(callbackSchema, formOf(req), 'Twilio status callback');
  const callId = new URLSearchParams(req.originalUrl.split('?')[1] ?? '').get('callId') ?? undefined;
  return {
    callId,
    status: contractStatusOf(form.CallStatus),
    timestamp: new Date(form.Timestamp === undefined ? now : Date.parse(form.Timestamp)).toISOString(),
    ...(form.CallDuration === undefined ? {} : { durationSec: Number(form.CallDuration) }),
  };
}
