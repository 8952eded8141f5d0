/**
 * `results`: a campaign's per-number results, in bounded memory whatever the campaign's size. To a file,
 * results.csv is piped to a temporary file beside it and renamed at the end; to stdout, the pages of
 * `GET /calls` are printed as they arrive, each written out before the next is asked for.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  ApiRefused,
  ApiUnavailable,
  type CallResult,
  type DialerClient,
  Interrupted,
  REQUEST_TIMEOUT_MS,
  type ResultsFilter,
  UsageError,
} from './client';
import { retryTransient } from './retry';

export interface ExportOptions {
  /** Ctrl-C: the export stops and leaves no file. */
  signal?: AbortSignal;
}

/** Writes results.csv to `out` (replacing it only once the whole file is in); resolves with the data rows written. */
export async function exportResults(
  client: DialerClient,
  campaignId: string,
  filter: ResultsFilter,
  out: string,
  options: ExportOptions = {},
): Promise<number> {
  // The download's deadline is a silence, not a total: a 100,000-number export may take longer than one.
  const silence = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => silence.abort(new DOMException('no data', 'TimeoutError')), REQUEST_TIMEOUT_MS);
  };
  // The temporary file first: an unwritable place is a usage error, found before anything is asked.
  let tmp: string | undefined = join(dirname(out), `.${basename(out)}.${randomBytes(4).toString('hex')}.part`);
  const file = await open(tmp, 'wx').catch((e: unknown) => {
    tmp = undefined;
    throw new UsageError(`cannot write ${out}: ${fsReason(e)}`);
  });
  try {
    const rows = new CsvRowCounter(touch);
    let res: Response;
    touch();
    try {
      res = await client.resultsCsv(campaignId, filter, silence.signal, options.signal);
    } catch (e) {
      await file.close();
      throw e;
    }
    touch();
    // The write stream closes the file, on success or error; `flush` syncs it before the rename.
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), rows, file.createWriteStream({ flush: true }));
    await rename(tmp, out);
    tmp = undefined;
    return rows.count;
  } catch (err) {
    if (options.signal?.aborted) throw new Interrupted(`interrupted: ${out} was not written`);
    if (err instanceof ApiRefused || err instanceof ApiUnavailable || err instanceof Interrupted || !(err instanceof Error)) throw err;
    if ('syscall' in err) throw new UsageError(`cannot write ${out}: ${fsReason(err)}`);
    if (silence.signal.aborted) {
      throw new ApiUnavailable(`the download stopped: no data for ${REQUEST_TIMEOUT_MS / 1000} s; ${out} was not written`, null, 'timeout');
    }
    throw new ApiUnavailable(`the download broke off (${err.message}); ${out} was not written`, null, 'broken_download');
  } finally {
    clearTimeout(timer);
    if (tmp !== undefined) await rm(tmp, { force: true });
  }
}

function fsReason(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/**
 * Counts the CSV's records as they pass (newlines outside quotes, the header left out), so the
 * summary needs no second read. A quoted contact field may hold a newline; `""` toggles twice.
 */
class CsvRowCounter extends Transform {
  private records = 0;
  private inQuotes = false;
  private lastByte = 0x0a;

  constructor(private readonly onData: () => void) {
    super();
  }

  get count(): number {
    const unterminated = this.lastByte !== 0x0a ? 1 : 0;
    return Math.max(0, this.records + unterminated - 1);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.onData();
    for (const byte of chunk) {
      if (byte === 0x22) this.inQuotes = !this.inQuotes;
      else if (byte === 0x0a && !this.inQuotes) this.records += 1;
    }
    if (chunk.length > 0) this.lastByte = chunk[chunk.length - 1]!;
    done(null, chunk);
  }
}

export interface StreamOptions {
  pageSize: number;
  /** How long page reads may keep failing with 5xx or no answer (an API restart mid-listing is survivable). */
  outageToleranceMs: number;
  signal?: AbortSignal;
}

/**
 * Reads every page of `GET /calls` and hands each call to `write`, which may wait (a slow reader of
 * stdout); the next page is asked for only then. Resolves with the number of calls, or stops early
 * when `write` returns false (the reader has gone).
 */
export async function streamResults(
  client: DialerClient,
  campaignId: string,
  filter: ResultsFilter,
  write: (call: CallResult) => Promise<boolean>,
  options: StreamOptions,
): Promise<number> {
  let cursor: string | undefined;
  let count = 0;
  for (;;) {
    const query = { ...filter, cursor, limit: options.pageSize };
    // The first page fails fast, as a status read does; a later one waits out an outage, from the same cursor.
    const page =
      cursor === undefined
        ? await client.callsPage(campaignId, query, options.signal)
        : await retryTransient(() => client.callsPage(campaignId, query, options.signal), {
            transient: (err) => err instanceof ApiUnavailable,
            retryMs: 1000,
            toleranceMs: options.outageToleranceMs,
            signal: options.signal,
          });
    if (page === undefined || options.signal?.aborted) throw new Interrupted(`interrupted after ${count} numbers`);
    for (const call of page.calls) {
      if (!(await write(call))) return count;
      count += 1;
    }
    if (page.nextCursor === null) return count;
    cursor = page.nextCursor;
  }
}

/**
 * Line output with backpressure, so a slow reader of stdout holds the paging back instead of filling
 * memory. `write` resolves false once the reader has gone (EPIPE, as with `| head`).
 */
export function lineWriter(stream: NodeJS.WritableStream): (line: string) => Promise<boolean> {
  let gone = false;
  stream.on('error', () => {
    gone = true;
  });
  return async (line) => {
    if (gone) return false;
    if (!stream.write(`${line}\n`)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stream.off('drain', done);
          stream.off('error', done);
          resolve();
        };
        stream.on('drain', done);
        stream.on('error', done);
      });
    }
    return !gone;
  };
}
