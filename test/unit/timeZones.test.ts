/** A number's zones from libphonenumber's timezone map, and which names count as IANA zones. */
import { isTimeZone, zonesOfNumber } from '../../src/rules/timeZones';

describe('zonesOfNumber', () => {
  it.each([
    ['+12125550123', ['America/New_York']],
    ['+13105550123', ['America/Los_Angeles']],
    ['+8613800138000', ['Asia/Shanghai']],
    ['+5511987654321', ['America/Sao_Paulo']],
    ['+525512345678', ['America/Mexico_City']],
    ['+74951234567', ['Europe/Moscow']],
    ['+61212345678', ['Australia/Sydney']],
  ])('places %s in its region: %j', (number, zones) => {
    expect(zonesOfNumber(number)).toEqual(zones);
  });

  it('gives every zone a prefix may lie in, and null for a prefix the map does not know', () => {
    const australia = zonesOfNumber('+61812345678');
    expect(australia).toEqual(expect.arrayContaining(['Australia/Perth', 'Australia/Adelaide', 'Australia/Sydney']));
    expect(australia!.length).toBeGreaterThan(3);
    expect(zonesOfNumber('+88213200000')).toBeNull();
  });
});

describe('isTimeZone', () => {
  it('knows IANA names and UTC, not offsets nor inventions', () => {
    for (const name of ['Asia/Shanghai', 'America/Argentina/Buenos_Aires', 'UTC', 'Etc/GMT+3']) expect(isTimeZone(name)).toBe(true);
    for (const name of ['Mars/Base', 'UTC+3', '+03:00', '', 'shanghai']) expect(isTimeZone(name)).toBe(false);
  });
});
