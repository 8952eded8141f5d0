/** Which zones a number of an import is dialled by, and which numbers are refused for want of one. */
import { numberZoneResolver } from '../../src/rules/numberZones';
import { WEEKDAYS } from '../../src/shared/types';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const hours = { start: '09:00', end: '20:00', days: [...WEEKDAYS] };

describe('numberZoneResolver', () => {
  it("takes the CSV timezone column over the number's own zones, and refuses an unknown name", () => {
    const zonesOf = numberZoneResolver({ callingHours: hours }, NOW);
    expect(zonesOf('+8613800138000')).toEqual({ ok: true, zones: ['Asia/Shanghai'] });
    expect(zonesOf('+8613800138000', { timezone: 'Europe/London' })).toEqual({ ok: true, zones: ['Europe/London'] });
    expect(zonesOf('+8613800138000', { timezone: ' ' })).toEqual({ ok: true, zones: ['Asia/Shanghai'] });
    expect(zonesOf('+8613800138000', { timezone: 'Mars/Base' })).toEqual({ ok: false, reason: 'invalid_time_zone' });
  });

  it("falls back to the campaign's timeZone, and refuses a number nobody can place", () => {
    // +882 (international networks) has no zone in libphonenumber's map.
    const unplaced = '+88213200000';
    expect(numberZoneResolver({ callingHours: hours }, NOW)(unplaced)).toEqual({ ok: false, reason: 'unknown_time_zone' });
    expect(numberZoneResolver({ callingHours: hours, timeZone: 'Asia/Tokyo' }, NOW)(unplaced)).toEqual({ ok: true, zones: ['Asia/Tokyo'] });
  });

  it('refuses a number whose zones never share the hours', () => {
    // The +61 8 prefix tells only "Australia": eight zones, from Christmas Island (UTC+7) to Lord Howe (UTC+10:30).
    const australia = '+61812345678';
    const wide = numberZoneResolver({ callingHours: hours }, NOW)(australia);
    expect(wide).toMatchObject({ ok: true });
    expect(wide.ok && wide.zones).toHaveLength(8);
    const narrow = { start: '09:00', end: '10:00', days: [...WEEKDAYS] };
    expect(numberZoneResolver({ callingHours: narrow }, NOW)(australia)).toEqual({ ok: false, reason: 'no_calling_window' });
  });
});
