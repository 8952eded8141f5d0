import { parseCampaignCsv } from '../../src/api/csv';
import { ApiError } from '../../src/api/errors';

function refusal(text: string): ApiError {
  try {
    parseCampaignCsv(text);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the CSV to be refused');
}

describe('parseCampaignCsv', () => {
  it('reads the phone column and keeps every other column as contact data', () => {
    expect(parseCampaignCsv('name,phone,note\nLi,13800138000,"VIP, call early"\nWang,+8613800138001,\n')).toEqual({
      phones: ['13800138000', '+8613800138001'],
      contacts: [
        { name: 'Li', note: 'VIP, call early' },
        { name: 'Wang', note: '' },
      ],
      contactColumns: ['name', 'note'],
    });
  });

  it('accepts a BOM, CRLF, blank lines, padded cells and a Phone header in any case', () => {
    const batch = parseCampaignCsv('\uFEFF Phone , city \r\n\r\n 13800138000 , Shanghai \r\n');
    expect(batch.phones).toEqual(['13800138000']);
    expect(batch.contacts).toEqual([{ city: 'Shanghai' }]);
  });

  it('ignores unnamed columns, e.g. from a trailing comma', () => {
    expect(parseCampaignCsv('phone,name,\n13800138000,Li,\n').contacts).toEqual([{ name: 'Li' }]);
  });

  it('gives rows only a phone column empty contact data', () => {
    expect(parseCampaignCsv('phone\n13800138000\n')).toEqual({
      phones: ['13800138000'],
      contacts: [{}],
      contactColumns: [],
    });
  });

  it('has no rows for a header alone', () => {
    expect(parseCampaignCsv('phone,name\n').phones).toEqual([]);
  });

  it.each([
    ['an empty body', '', /header row is required/],
    ['a header without phone', 'name,mobile\nLi,13800138000\n', /no "phone" column/],
    ['repeated column names', 'phone,name,name\n1,2,3\n', /repeats column names/],
    ['a row with more cells than the header', 'phone,name\n13800138000,Li,extra\n', /cannot be parsed/],
    ['an unterminated quote', 'phone,name\n"13800138000,Li\n', /cannot be parsed/],
  ])('refuses %s with invalid_request', (_what, text, message) => {
    const err = refusal(text);
    expect(err.code).toBe('invalid_request');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(message);
  });
});
