/**
 * The do-not-call list's routes: POST /dnc (JSON or CSV), GET/DELETE /dnc/:phone, GET /dnc (a page),
 * GET /dnc.csv (all of it). Numbers are normalised as campaigns' are; the list holds E.164.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import express, { type Request, type Router } from 'express';
import { addToDnc, decodeCursor, dncEntry, dncPage, removeFromDnc, streamDnc } from '../db/dnc';
import type { NumberZoneResolver } from '../rules/numberZones';
import { maskPhone } from '../shared/mask';
import type { AppDeps } from './app';
import { requireApiKey } from './auth';
import { campaignFormat, JSON_BODY_LIMIT, MAX_NUMBERS, type NormalisedCount, normalisedNumbers } from './campaignRequest';
import { type NumberRow, type NumberSource, readNumbersCsv } from './csv';
import { ApiError } from './errors';
import { type CountryCode, normaliseNumber } from './numbers';
import { managementRateLimit } from './rateLimit';
import { csvNumbersQuerySchema, dncCsvQuerySchema, dncJsonSchema, dncPageQuerySchema, parseOrThrow } from './schemas';

const notOnList = (phone: string): ApiError => new ApiError('not_on_list', `${phone} is not on the do-not-call list`);

/** The list bars a number wherever it lies: no zone is needed, none is refused. */
const anyZone: NumberZoneResolver = () => ({ ok: true, zones: [] });

/** The E.164 form of a :phone parameter, or 400 naming it. */
function phoneParam(req: Request): string {
  const { defaultRegion } = parseOrThrow(csvNumbersQuerySchema, req.query, 'query parameters');
  const result = normaliseNumber(String(req.params.phone), defaultRegion);
  if (!result.ok) throw new ApiError('invalid_request', 'invalid phone number', { fields: [{ field: 'phone', message: result.reason }] });
  return result.e164;
}

/** What POST /dnc says: its numbers (still to be normalised), their region, and the reason. */
interface DncRequest {
  source: NumberSource;
  defaultRegion: CountryCode | undefined;
  reason: string | null;
}

async function readDncRequest(req: Request): Promise<DncRequest> {
  if (campaignFormat(req.get('content-type')) === 'json') {
    const { numbers, reason, defaultRegion } = parseOrThrow(dncJsonSchema, req.body, 'do-not-call numbers');
    // Refused before any is normalised: a million entries take seconds to normalise.
    if (numbers.length > MAX_NUMBERS) {
      throw new ApiError('payload_too_large', `a request takes at most ${MAX_NUMBERS} numbers, got ${numbers.length}`, { limit: MAX_NUMBERS, received: numbers.length });
    }
    return { source: { columns: [], rows: Readable.from(numbers.map((value): NumberRow => ({ value }))) }, defaultRegion, reason: reason ?? null };
  }
  const { reason, defaultRegion } = parseOrThrow(dncCsvQuerySchema, req.query, 'query parameters');
  // express.text has read the body (up to its limit: a list of numbers is far smaller than a campaign with its contact data);
  // an empty request has none, and so no header row.
  const csv = typeof req.body === 'string' ? req.body : '';
  return { source: await readNumbersCsv(csv), defaultRegion, reason: reason ?? null };
}

/** Mounted at the root: `/dnc.csv` is a sibling of `/dnc`, and both share one rate limit and the key check. */
export function dncRouter({ config, pool, logger }: AppDeps): Router {
  const router = express.Router();
  router.use(['/dnc', '/dnc.csv'], managementRateLimit(config, logger), requireApiKey(config.apiKey));

  router.post(
    '/dnc',
    (req, _res, next) => {
      // 415 before the body is read.
      campaignFormat(req.get('content-type'));
      next();
    },
    express.json({ limit: JSON_BODY_LIMIT }),
    express.text({ type: 'text/csv', limit: JSON_BODY_LIMIT }),
    async (req, res) => {
      const { source, defaultRegion, reason } = await readDncRequest(req);
      const count: NormalisedCount = { read: 0, rejected: [] };
      // Past MAX_NUMBERS rows normalisedNumbers throws 413 mid-import, and the transaction adds none.
      const added = await addToDnc(pool, normalisedNumbers(source.rows, defaultRegion, anyZone, count), reason);
      logger.info({ ...added, rejected: count.rejected.length }, 'do-not-call numbers added');
      res.json({ ...added, rejected: count.rejected });
    },
  );

  router.get('/dnc', async (req, res) => {
    const query = parseOrThrow(dncPageQuerySchema, req.query, 'query parameters');
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && cursor === undefined) {
      throw new ApiError('invalid_request', 'invalid query parameters', { fields: [{ field: 'cursor', message: 'expected the nextCursor of a previous page' }] });
    }
    res.json(await dncPage(pool, { cursor, limit: query.limit }));
  });

  router.get('/dnc.csv', async (_req, res) => {
    async function* rows(): AsyncGenerator<string[]> {
      for await (const e of streamDnc(pool)) yield [e.phone, e.reason ?? '', e.addedAt];
    }
    res.status(200).type('text/csv').attachment('do-not-call.csv');
    // Streamed through a cursor: the response's backpressure paces the reads from the database.
    await pipeline(Readable.from(rows()), stringify({ header: true, columns: ['phone', 'reason', 'added_at'] }), res).catch((err: unknown) => {
      // The status line has gone out: all that is left is to cut the response short.
      logger.warn({ err: String(err) }, 'do-not-call export cut short');
      res.destroy();
    });
  });

  router.get('/dnc/:phone', async (req, res) => {
    const phone = phoneParam(req);
    const entry = await dncEntry(pool, phone);
    if (!entry) throw notOnList(phone);
    res.json(entry);
  });

  router.delete('/dnc/:phone', async (req, res) => {
    const phone = phoneParam(req);
    if (!(await removeFromDnc(pool, phone))) throw notOnList(phone);
    // Not `phone`: the logger redacts that key whole.
    logger.info({ phoneMasked: maskPhone(phone) }, 'do-not-call number removed');
    res.status(204).end();
  });
  return router;
}
