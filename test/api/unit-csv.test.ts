import { Readable } from 'node:stream';
import { readNumbersCsv, type NumberRow } from '../../src/api/csv';
import { ApiError } from '../../src/api/errors';

/** The header's columns and every row, read to the end. */
async function readAll(input: Readable | string): Promise<{ columns: string[]; rows: NumberRow[] }> {
  const { columns, rows } = await readNumbersCsv(input);
  const read: NumberRow[] = [];
  for await (const row of rows) read.push(row);
  return { columns, rows: read };
}

/** The ApiError the CSV is refused with: when the header is read, or later, as its rows are. */
async function refusal(text: string): Promise<ApiError> {
  try {
    await readAll(text);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the CSV to be refused');
}

describe('readNumbersCsv', () => {
  it('reads the phone column and keeps every other column as contact data', async () => {
    expect(await readAll('name,phone,note\nLi,13800138000,"VIP, call early"\nWang,+8613800138001,\n')).toEqual({
      columns: ['name', 'note'],
      rows: [
        { value: '13800138000', contact: { name: 'Li', note: 'VIP, call early' } },
        { value: '+8613800138001', contact: { name: 'Wang', note: '' } },
      ],
    });
  });

  it('accepts a BOM, CRLF, blank lines, padded cells and a Phone header in any case', async () => {
    expect(await readAll('\uFEFF Phone , city \r\n\r\n 13800138000 , Shanghai \r\n')).toEqual({
      columns: ['city'],
      rows: [{ value: '13800138000', contact: { city: 'Shanghai' } }],
    });
  });

  it('ignores unnamed columns, e.g. from a trailing comma', async () => {
    expect(await readAll('phone,name,\n13800138000,Li,\n')).toEqual({
      columns: ['name'],
      rows: [{ value: '13800138000', contact: { name: 'Li' } }],
    });
  });

  it('gives rows of only a phone column no contact data', async () => {
    expect(await readAll('phone\n13800138000\n')).toEqual({ columns: [], rows: [{ value: '13800138000' }] });
  });

  it('has no rows for a header alone', async () => {
    expect(await readAll('phone,name\n')).toEqual({ columns: ['name'], rows: [] });
  });

  it('reads a stream as it arrives, split anywhere (inside a quoted cell, a CRLF, a multi-byte character)', async () => {
    const text = '\uFEFFphone,name\r\n13800138000,"李, 雷"\r\n+8613800138001,王\r\n';
    const bytes = Buffer.from(text);
    // One byte at a time: every possible split point at once.
    const chunks = Array.from(bytes, (byte) => Buffer.from([byte]));
    expect(await readAll(Readable.from(chunks))).toEqual({
      columns: ['name'],
      rows: [
        { value: '13800138000', contact: { name: '李, 雷' } },
        { value: '+8613800138001', contact: { name: '王' } },
      ],
    });
  });

  it('refuses a bad header at once, without reading the body to its end', async () => {
    let pulled = 0;
    async function* lines(): AsyncGenerator<string> {
      yield 'name,mobile\n';
      // Endless: the refusal must come without waiting for an end.
      for (;;) {
        pulled++;
        yield 'Li,13800138000\n';
        if (pulled % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const source = Readable.from(lines());
    await expect(readNumbersCsv(source)).rejects.toMatchObject({ code: 'invalid_request', details: { header: ['name', 'mobile'] } });
    source.destroy();
  });

  it('refuses an unreadable row with invalid_request as the rows are read, and gives no row after it', async () => {
    const good = Array.from({ length: 5_000 }, (_, i) => `139${String(10_000_000 + i).slice(-8)}`);
    const { rows } = await readNumbersCsv(['phone', ...good, '"13800138002', '13800138003'].join('\n'));
    const read: string[] = [];
    const reading = (async () => {
      for await (const row of rows) read.push(row.value);
    })();
    await expect(reading).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/cannot be parsed/) });
    expect(good.slice(0, read.length)).toEqual(read);
  });

  it("passes on the stream's own refusal (the body's byte limit) as it is", async () => {
    const tooLarge = new ApiError('payload_too_large', 'request body is larger than the limit');
    async function* body(): AsyncGenerator<string> {
      yield 'phone\n13800138000\n';
      await new Promise((resolve) => setImmediate(resolve));
      throw tooLarge;
    }
    const { rows } = await readNumbersCsv(Readable.from(body()));
    const read: NumberRow[] = [];
    const reading = (async () => {
      for await (const row of rows) read.push(row);
    })();
    await expect(reading).rejects.toBe(tooLarge);
    expect([[], [{ value: '13800138000' }]]).toContainEqual(read);
  });

  it.each([
    ['an empty body', '', /header row is required/],
    ['a header without phone', 'name,mobile\nLi,13800138000\n', /no "phone" column/],
    ['repeated column names', 'phone,name,name\n1,2,3\n', /repeats column names/],
    ['a row with more cells than the header', 'phone,name\n13800138000,Li,extra\n', /cannot be parsed/],
    ['an unterminated quote', 'phone,name\n"13800138000,Li\n', /cannot be parsed/],
  ])('refuses %s with invalid_request', async (_what, text, message) => {
    const err = await refusal(text);
    expect(err.code).toBe('invalid_request');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(message);
  });
});
