import { isKnownRegion, normaliseNumber, normaliseNumbers } from '../../src/api/numbers';

describe('normaliseNumber', () => {
  it.each([
    ['+8613800138000', undefined, '+8613800138000'],
    ['  +86 138-0013-8000 ', undefined, '+8613800138000'],
    ['13800138001', 'CN', '+8613800138001'],
    ['0086 138 0013 8000', 'CN', '+8613800138000'],
    ['(650) 253-0000', 'US', '+16502530000'],
    ['+1 650 253 0000', 'CN', '+16502530000'],
  ] as const)('%j (region %s) → %s', (value, region, e164) => {
    expect(normaliseNumber(value, region)).toEqual({ ok: true, e164 });
  });

  it.each([
    ['', 'CN', 'empty'],
    ['   ', 'CN', 'empty'],
    ['abc', 'CN', 'not_a_number'],
    ['call +86 138 0013 8000 now', undefined, 'not_a_number'],
    ['13800138001', undefined, 'missing_region'],
    ['+99912345678', undefined, 'unknown_country_code'],
    ['12', 'CN', 'too_short'],
    ['+8613800138000999999999', undefined, 'too_long'],
    ['1'.repeat(65), 'CN', 'too_long'],
    ['+86 12345678901', undefined, 'invalid_number'],
    ['+86 138 0013 8000 ext 5', undefined, 'extension_not_supported'],
  ] as const)('%j (region %s) is rejected: %s', (value, region, reason) => {
    expect(normaliseNumber(value, region)).toEqual({ ok: false, reason });
  });
});

describe('normaliseNumbers', () => {
  it('keeps the first of numbers equal after normalisation, counts the others, lists rejects by index', () => {
    const values = ['+8613800138000', 'nope', '138 0013 8000', '13800138001', '+8613800138001', ''];
    const batch = normaliseNumbers(values, 'CN');
    expect(batch).toEqual({
      numbers: ['+8613800138000', '+8613800138001'],
      sourceIndex: [0, 3],
      duplicates: 2,
      rejected: [
        { index: 1, value: 'nope', reason: 'not_a_number' },
        { index: 5, value: '', reason: 'empty' },
      ],
    });
  });

  it('answers an empty batch with nothing', () => {
    expect(normaliseNumbers([])).toEqual({ numbers: [], sourceIndex: [], duplicates: 0, rejected: [] });
  });
});

describe('isKnownRegion', () => {
  it('knows ISO 3166 alpha-2 regions in upper case only', () => {
    expect(isKnownRegion('CN')).toBe(true);
    expect(isKnownRegion('US')).toBe(true);
    expect(isKnownRegion('cn')).toBe(false);
    expect(isKnownRegion('XX')).toBe(false);
    expect(isKnownRegion('CHN')).toBe(false);
  });
});
