/**
 * The time zones a number of an import is dialled by: a CSV `timezone` column names one, else the
 * number's own prefix tells (src/rules/timeZones.ts), else the campaign's `timeZone`. A number whose
 * zone nobody can tell, or whose zones never share the calling hours, is refused at import: it could
 * never be dialled lawfully, and would keep its campaign open forever.
 */
import type { CallingHours } from '../shared/types';
import { nextOpenAt } from './callingWindow';
import { isTimeZone, zonesOfNumber } from './timeZones';

export type ZoneRejectReason = 'invalid_time_zone' | 'unknown_time_zone' | 'no_calling_window';
export type NumberZones = { ok: true; zones: string[] } | { ok: false; reason: ZoneRejectReason };
export type NumberZoneResolver = (e164: string, contact?: Record<string, string>) => NumberZones;

/** The CSV column that overrides a number's zone. */
export const TIME_ZONE_COLUMN = 'timezone';

export interface ZoneRules {
  callingHours?: CallingHours;
  timeZone?: string;
}

/** A resolver for one import: whether a zone set ever opens is worked out once per set. */
export function numberZoneResolver(rules: ZoneRules, now: number): NumberZoneResolver {
  const opens = new Map<string, boolean>();
  const everOpen = (zones: string[]): boolean => {
    const key = zones.join(',');
    let open = opens.get(key);
    if (open === undefined) {
      open = rules.callingHours === undefined || nextOpenAt(zones, rules.callingHours, now) !== null;
      opens.set(key, open);
    }
    return open;
  };
  return (e164, contact) => {
    const named = contact?.[TIME_ZONE_COLUMN]?.trim();
    if (named !== undefined && named !== '' && !isTimeZone(named)) return { ok: false, reason: 'invalid_time_zone' };
    const zones = named ? [named] : (zonesOfNumber(e164) ?? (rules.timeZone === undefined ? null : [rules.timeZone]));
    if (zones === null) return { ok: false, reason: 'unknown_time_zone' };
    return everOpen(zones) ? { ok: true, zones } : { ok: false, reason: 'no_calling_window' };
  };
}
