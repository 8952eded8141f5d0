/**
 * The do-not-call list's routes: POST /dnc (JSON or CSV), GET/DELETE /dnc/:phone, GET /dnc (a page),
 * GET /dnc.csv (all of it). Numbers are normalised as campaigns' are; the list holds E.164.
 */
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import express, { type Request, type RequestHandler, type Router } from 'express';
import { addToDnc, decodeCursor, dncEntry, dncPage, removeFromDnc, streamDnc } from '../db/dnc';
import { maskPhone } from '../shared/mask';
import type { AppDeps } from './app';
import { requireApiKey } from './auth';
import { campaignFormat, CSV_BODY_LIMIT_BYTES, JSON_BODY_LIMIT, MAX_NUMBERS } from './campaignRequest';
import { type NumberRow, readNumbersCsv } from './csv';
import { ApiError } from './errors';
import { type CountryCode, normaliseNumber, type RejectedNumber } from './numbers';
import { managementRateLimit } from './rateLimit';
import { csvNumbersQuerySchema, dncCsvQuerySchema, dncJsonSchema, dncPageQuerySchema, parseOrThrow } from './schemas';

const notOnList = (phone: string): ApiError => new ApiError('not_on_list', `${phone} is not on the do-not-call list`);

/** The E.164 form of a :phone parameter, or 400 naming it. */
function phoneParam(req: Request): string {
  const { defaultRegion } = parseOrThrow(csvNumbersQuerySchema, req.query, 'query parameters');
  const result = normaliseNumber(String(req.params.phone), defaultRegion);
  if (!result.ok) throw new ApiError('invalid_request', 'invalid phone number', { fields: [{ field: 'phone', message: result.reason }] });
  return result.e164;
}

/** The valid numbers of the rows as they stream, the invalid ones noted; past MAX_NUMBERS, 413. */
async function* valid(rows: AsyncIterable<NumberRow>, region: CountryCode | undefined, rejected: RejectedNumber[]): AsyncGenerator<{ phone: string }> {
  let index = 0;
  for await (const { value } of rows) {
    if (index === MAX_NUMBERS) throw new ApiError('payload_too_large', `a request takes at most ${MAX_NUMBERS} numbers`, { limit: MAX_NUMBERS });
    const result = normaliseNumber(value, region);
    if (result.ok) yield { phone: result.e164 };
    else rejected.push({ index, value, reason: result.reason });
    index++;
  }
}

/** The CSV body, refused past its byte limit as it streams. */
function limited(req: Request): Readable {
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > CSV_BODY_LIMIT_BYTES) done(new ApiError('payload_too_large', `request body is larger than ${CSV_BODY_LIMIT_BYTES} bytes`));
      else done(null, chunk);
    },
  });
  req.on('error', (err) => counted.destroy(err));
  return req.pipe(counted);
}

export function dncRouter({ config, pool, logger }: AppDeps): Router {
  const router = express.Router();
  router.use(managementRateLimit(config, logger));
  router.use(requireApiKey(config.apiKey));

  const body: RequestHandler[] = [
    (req, _res, next) => {
      campaignFormat(req.get('content-type'));
      next();
    },
    express.json({ limit: JSON_BODY_LIMIT }),
  ];
  router.post('/', ...body, async (req, res) => {
    const rejected: RejectedNumber[] = [];
    let added: { added: number; already: number };
    if (campaignFormat(req.get('content-type')) === 'json') {
      const { numbers, reason, defaultRegion } = parseOrThrow(dncJsonSchema, req.body, 'do-not-call numbers');
      if (numbers.length > MAX_NUMBERS) throw new ApiError('payload_too_large', `a request takes at most ${MAX_NUMBERS} numbers`, { limit: MAX_NUMBERS });
      added = await addToDnc(pool, valid(Readable.from(numbers.map((value) => ({ value }))), defaultRegion, rejected), reason ?? null);
    } else {
      const { reason, defaultRegion } = parseOrThrow(dncCsvQuerySchema, req.query, 'query parameters');
      const source = await readNumbersCsv(limited(req));
      added = await addToDnc(pool, valid(source.rows, defaultRegion, rejected), reason ?? null);
    }
    logger.info({ ...added, rejected: rejected.length }, 'do-not-call numbers added');
    res.json({ ...added, rejected });
  });

  router.get('/', async (req, res) => {
    const { cursor, limit } = parseOrThrow(dncPageQuerySchema, req.query, 'query parameters');
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && after === undefined) {
      throw new ApiError('invalid_request', 'invalid query parameters', { fields: [{ field: 'cursor', message: 'expected the nextCursor of a previous page' }] });
    }
    res.json(await dncPage(pool, after, limit));
  });

  router.get('/:phone', async (req, res) => {
    const phone = phoneParam(req);
    const entry = await dncEntry(pool, phone);
    if (!entry) throw notOnList(phone);
    res.json(entry);
  });

  router.delete('/:phone', async (req, res) => {
    const phone = phoneParam(req);
    if (!(await removeFromDnc(pool, phone))) throw notOnList(phone);
    logger.info({ phone: maskPhone(phone) }, 'do-not-call number removed');
    res.status(204).end();
  });
  return router;
}

/** GET /dnc.csv: every entry, streamed. */
export function dncCsvRouter({ config, pool, logger }: AppDeps): Router {
  const router = express.Router();
  router.use(managementRateLimit(config, logger));
  router.use(requireApiKey(config.apiKey));
  router.get('/', async (_req, res) => {
    async function* rows(): AsyncGenerator<string[]> {
      for await (const e of streamDnc(pool)) yield [e.phone, e.reason ?? '', e.addedAt];
    }
    res.status(200).type('text/csv').attachment('do-not-call.csv');
    await pipeline(Readable.from(rows()), stringify({ header: true, columns: ['phone', 'reason', 'added_at'] }), res).catch((err: unknown) => {
      logger.warn({ err: String(err) }, 'do-not-call export cut short');
      res.destroy();
    });
  });
  return router;
}
