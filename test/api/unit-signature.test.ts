import express from 'express';
import request from 'supertest';
import { errorHandler } from '../../src/api/errors';
import {
  MAX_CLOCK_SKEW_SEC,
  requireWebhookSignature,
  SIGNATURE_HEADER,
  signatureProblem,
  signWebhook,
  TIMESTAMP_HEADER,
} from '../../src/api/signature';
import { silentLogger } from './helpers';

const secret = 'webhook-secret';
const body = Buffer.from('{"callId":"c1.0.1","status":"ringing"}');
const nowSec = 1_800_000_000;
const nowMs = nowSec * 1000;

function delivery(headers: Record<string, string>, rawBody = body) {
  return { timestamp: headers[TIMESTAMP_HEADER], signature: headers[SIGNATURE_HEADER], rawBody };
}

describe('signWebhook', () => {
  it('signs "<timestamp>.<raw body>" with HMAC-SHA256, hex, sha256= prefix', () => {
    // Reference value from: printf '1800000000.{"a":1}' | openssl dgst -sha256 -hmac webhook-secret
    const headers = signWebhook(secret, '{"a":1}', nowSec);
    expect(headers[TIMESTAMP_HEADER]).toBe('1800000000');
    expect(headers[SIGNATURE_HEADER]).toBe('sha256=6b6d752b557f7b9548013c54f5abc3f3542242472cf0aa178cda3315989c06de');
    expect(signatureProblem(secret, delivery(headers, Buffer.from('{"a":1}')), nowMs)).toBeNull();
  });
});

describe('signatureProblem', () => {
  it('accepts a signature made now, and up to the skew limit either way', () => {
    for (const skew of [0, MAX_CLOCK_SKEW_SEC, -MAX_CLOCK_SKEW_SEC]) {
      expect(signatureProblem(secret, delivery(signWebhook(secret, body, nowSec + skew)), nowMs)).toBeNull();
    }
  });

  it.each([
    ['is more than 300 s old', { ...signWebhook(secret, body, nowSec - MAX_CLOCK_SKEW_SEC - 1) }, /from now/],
    ['is more than 300 s ahead', { ...signWebhook(secret, body, nowSec + MAX_CLOCK_SKEW_SEC + 1) }, /from now/],
    ['has no signature', { [TIMESTAMP_HEADER]: String(nowSec) }, /missing/],
    ['has no timestamp', { [SIGNATURE_HEADER]: signWebhook(secret, body, nowSec)[SIGNATURE_HEADER] }, /missing/],
    [
      'has a timestamp that is no number',
      { ...signWebhook(secret, body, nowSec), [TIMESTAMP_HEADER]: 'soon' },
      /unix seconds/,
    ],
    ['has a malformed signature', { ...signWebhook(secret, body, nowSec), [SIGNATURE_HEADER]: 'sha256=abc' }, /64 hex/],
    ['is signed with another secret', signWebhook('other-secret', body, nowSec), /does not match/],
    [
      'has its timestamp changed after signing',
      { ...signWebhook(secret, body, nowSec), [TIMESTAMP_HEADER]: String(nowSec + 1) },
      /does not match/,
    ],
  ])('refuses a delivery that %s', (_what, headers, problem) => {
    expect(signatureProblem(secret, delivery(headers), nowMs)).toMatch(problem);
  });

  it('refuses a body changed after signing', () => {
    const headers = signWebhook(secret, body, nowSec);
    expect(signatureProblem(secret, delivery(headers, Buffer.from(`${body.toString()} `)), nowMs)).toMatch(
      /does not match/,
    );
  });
});

describe('requireWebhookSignature', () => {
  function app(config: { webhookSecret?: string; builtInSimulator: boolean }): express.Express {
    const a = express();
    a.post('/hook', express.raw({ type: () => true }), requireWebhookSignature(config), (_req, res) => {
      res.status(204).end();
    });
    a.use(errorHandler(silentLogger));
    return a;
  }

  it('passes a signed request and refuses an unsigned one when a secret is set', async () => {
    const a = app({ webhookSecret: secret, builtInSimulator: true });
    const raw = '{"x":1}';
    await request(a).post('/hook').set(signWebhook(secret, raw)).send(raw).expect(204);
    const res = await request(a).post('/hook').send(raw).expect(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('refuses every request without a secret, unless the built-in simulator is the sender', async () => {
    const res = await request(app({ builtInSimulator: false })).post('/hook').send('{}').expect(401);
    expect(res.body.error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/WEBHOOK_SECRET/) });
    await request(app({ builtInSimulator: true })).post('/hook').send('{}').expect(204);
  });
});
