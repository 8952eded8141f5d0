/** Calling hours in the recipients' zones, with fixed clocks: edges, days, several zones, daylight-saving changes. */
import fc from 'fast-check';
import { CLOCK_PATTERN, isOpenAt, nextOpenAt, parseClock } from '../../src/rules/callingWindow';
import { type CallingHours, WEEKDAYS } from '../../src/shared/types';

const hours = (start: string, end: string, days: CallingHours['days'] = [...WEEKDAYS]): CallingHours => ({ start, end, days });
const at = (iso: string): number => Date.parse(iso);

describe('clock', () => {
  it('takes 00:00 to 23:59 and 24:00, nothing else', () => {
    for (const ok of ['00:00', '09:05', '23:59', '24:00']) expect(CLOCK_PATTERN.test(ok)).toBe(true);
    for (const bad of ['25:00', '24:01', '9:00', '12:60', '1200', '']) expect(CLOCK_PATTERN.test(bad)).toBe(false);
    expect(parseClock('24:00')).toBe(1440);
  });
});

describe('isOpenAt', () => {
  it('holds from start (included) to end (excluded), in local time, on the given days only', () => {
    const weekdays = hours('09:00', '20:00', ['mon', 'tue', 'wed', 'thu', 'fri']);
    // Monday 2026-01-05 in London (UTC+0 in winter).
    expect(isOpenAt(['Europe/London'], weekdays, at('2026-01-05T08:59:59Z'))).toBe(false);
    expect(isOpenAt(['Europe/London'], weekdays, at('2026-01-05T09:00:00Z'))).toBe(true);
    expect(isOpenAt(['Europe/London'], weekdays, at('2026-01-05T19:59:59Z'))).toBe(true);
    expect(isOpenAt(['Europe/London'], weekdays, at('2026-01-05T20:00:00Z'))).toBe(false);
    expect(isOpenAt(['Europe/London'], weekdays, at('2026-01-04T12:00:00Z'))).toBe(false); // Sunday
    // 09:00 in Shanghai is 01:00 UTC.
    expect(isOpenAt(['Asia/Shanghai'], weekdays, at('2026-01-05T01:00:00Z'))).toBe(true);
  });

  it('holds for several zones only while it holds in each', () => {
    const day = hours('09:00', '20:00');
    expect(isOpenAt(['America/New_York', 'America/Los_Angeles'], day, at('2026-06-01T14:00:00Z'))).toBe(false); // 07:00 in LA
    expect(isOpenAt(['America/New_York', 'America/Los_Angeles'], day, at('2026-06-01T16:00:00Z'))).toBe(true);
    expect(isOpenAt(['America/New_York', 'America/Los_Angeles'], day, at('2026-06-02T00:00:00Z'))).toBe(false); // 20:00 in NY
  });

  it('follows daylight saving: 09:00 in New York is 14:00 UTC in winter, 13:00 in summer', () => {
    const nine = hours('09:00', '09:30');
    expect(isOpenAt(['America/New_York'], nine, at('2026-03-07T14:00:00Z'))).toBe(true);
    expect(isOpenAt(['America/New_York'], nine, at('2026-03-07T13:00:00Z'))).toBe(false);
    expect(isOpenAt(['America/New_York'], nine, at('2026-03-08T13:00:00Z'))).toBe(true);
    expect(isOpenAt(['America/New_York'], nine, at('2026-03-08T14:00:00Z'))).toBe(false);
    expect(isOpenAt(['Europe/London'], nine, at('2026-03-29T08:00:00Z'))).toBe(true); // BST from 01:00 UTC that day
  });
});

describe('nextOpenAt', () => {
  it('is now while open, else the next opening', () => {
    const day = hours('09:00', '20:00');
    expect(nextOpenAt(['Europe/London'], day, at('2026-01-05T12:00:00Z'))).toBe(at('2026-01-05T12:00:00Z'));
    expect(nextOpenAt(['Europe/London'], day, at('2026-01-05T20:00:00Z'))).toBe(at('2026-01-06T09:00:00Z'));
    expect(nextOpenAt(['Europe/London'], hours('09:00', '10:00', ['mon']), at('2026-01-06T10:00:00Z'))).toBe(at('2026-01-12T09:00:00Z'));
  });

  it('crosses daylight-saving changes: New York spring forward (a start in the gap opens when the gap ends) and fall back', () => {
    expect(nextOpenAt(['America/New_York'], hours('09:00', '10:00'), at('2026-03-07T15:30:00Z'))).toBe(at('2026-03-08T13:00:00Z'));
    expect(nextOpenAt(['America/New_York'], hours('02:30', '04:00'), at('2026-03-08T05:00:00Z'))).toBe(at('2026-03-08T07:00:00Z'));
    // 01:30 happens twice on 2026-11-01: the window opens at the first.
    expect(nextOpenAt(['America/New_York'], hours('01:30', '04:00'), at('2026-11-01T04:00:00Z'))).toBe(at('2026-11-01T05:30:00Z'));
    expect(nextOpenAt(['America/New_York'], hours('09:00', '10:00'), at('2026-11-01T13:30:00Z'))).toBe(at('2026-11-01T14:00:00Z'));
  });

  it('opens for several zones when the last of them opens; null when they never share the hours or no day is left', () => {
    expect(nextOpenAt(['America/New_York', 'America/Los_Angeles'], hours('09:00', '20:00'), at('2026-06-01T14:00:00Z'))).toBe(
      at('2026-06-01T16:00:00Z'),
    );
    expect(nextOpenAt(['Pacific/Honolulu', 'Asia/Tokyo'], hours('09:00', '10:00'), at('2026-06-01T14:00:00Z'))).toBeNull();
    expect(nextOpenAt(['Europe/London'], hours('09:00', '10:00', []), at('2026-06-01T14:00:00Z'))).toBeNull();
  });

  it('gives an open instant whose previous second is closed, for any zones, hours and moment', () => {
    const zones = ['Europe/London', 'America/New_York', 'America/Los_Angeles', 'Asia/Shanghai', 'Australia/Lord_Howe', 'Asia/Kathmandu'];
    const clock = fc.integer({ min: 0, max: 95 }).map((q) => `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`);
    fc.assert(
      fc.property(
        fc.subarray(zones, { minLength: 1, maxLength: 3 }),
        clock,
        fc.integer({ min: 15, max: 900 }),
        fc.subarray([...WEEKDAYS], { minLength: 1 }),
        fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-01-01T00:00:00Z') }),
        (zs, start, length, days, now) => {
          const endMinute = Math.min(parseClock(start) + length, 1440);
          const end = `${String(Math.floor(endMinute / 60)).padStart(2, '0')}:${String(endMinute % 60).padStart(2, '0')}`;
          const h = hours(start, end, days);
          const opens = nextOpenAt(zs, h, now);
          if (opens === null) return;
          expect(isOpenAt(zs, h, opens)).toBe(true);
          if (opens !== now) expect(isOpenAt(zs, h, opens - 1000)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
