/**
 * Calling hours in the recipient's local time, for a number that may lie in several zones: open only
 * while the hours hold in every one of them. Local time comes from the IANA time zone database (Intl),
 * so daylight saving follows each zone's rules, never a fixed offset. Pure functions: activities and
 * the API use them; workflow code never does.
 */
import type { CallingHours, Weekday } from '../shared/types';

/** 00:00-23:59, and 24:00 for the end of a day. */
export const CLOCK_PATTERN = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;

/** Minutes since midnight of an 'HH:MM' clock. */
export function parseClock(text: string): number {
  const [hours, minutes] = text.split(':').map(Number) as [number, number];
  return hours * 60 + minutes;
}

interface LocalTime {
  weekday: Weekday;
  /** Seconds since local midnight. */
  second: number;
  year: number;
  month: number;
  day: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatOf(zone: string): Intl.DateTimeFormat {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, format);
  }
  return format;
}

function localTime(zone: string, epochMs: number): LocalTime {
  const parts: Record<string, string> = {};
  for (const { type, value } of formatOf(zone).formatToParts(epochMs)) parts[type] = value;
  return {
    weekday: parts.weekday!.toLowerCase().slice(0, 3) as Weekday,
    second: Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second),
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
  };
}

function openIn(zone: string, hours: CallingHours, epochMs: number): boolean {
  const local = localTime(zone, epochMs);
  return hours.days.includes(local.weekday) && local.second >= parseClock(hours.start) * 60 && local.second < parseClock(hours.end) * 60;
}

/** Whether the hours hold at this instant in every zone (no zones: nothing to keep, always open). */
export function isOpenAt(zones: readonly string[], hours: CallingHours, epochMs: number): boolean {
  return zones.every((zone) => openIn(zone, hours, epochMs));
}

const DAY_MS = 86_400_000;
/** Every weekday comes round within a week; a day more covers offsets and daylight-saving shifts. */
const SEARCH_DAYS = 8;

/** Offset of the zone's wall clock from UTC at an instant, in ms. */
function offsetAt(zone: string, epochMs: number): number {
  const t = localTime(zone, epochMs);
  const wall = Date.UTC(t.year, t.month - 1, t.day) + t.second * 1000;
  return wall - Math.floor(epochMs / 1000) * 1000;
}

/**
 * The first instant at or after the wall-clock time `minute` of the local date y-m-d: the offset is
 * iterated (it may change between the guess and the answer). In a spring-forward gap the wall time does
 * not exist and the answer is the first instant after the gap; in a fall-back overlap, the first of the two.
 */
function instantOf(zone: string, year: number, month: number, day: number, minute: number): number {
  const wall = Date.UTC(year, month - 1, day) + minute * 60_000;
  const earlier = wall - offsetAt(zone, wall - DAY_MS / 2);
  const later = wall - offsetAt(zone, wall + DAY_MS / 2);
  // Where both readings of the wall time exist (an overlap), the earlier one; in a gap neither is exact.
  for (const candidate of [Math.min(earlier, later), Math.max(earlier, later)]) {
    if (candidate + offsetAt(zone, candidate) === wall) return candidate;
  }
  // In a gap: the first instant after it, where the later offset starts (found to the second).
  let [before, after] = [Math.min(earlier, later), Math.max(earlier, later)];
  const offsetAfter = offsetAt(zone, after);
  while (after - before > 1000) {
    const mid = before + Math.floor((after - before) / 2000) * 1000;
    if (offsetAt(zone, mid) === offsetAfter) after = mid;
    else before = mid;
  }
  return after;
}

/** Each opening of the zone's window on the local dates around [from, from + SEARCH_DAYS]. */
function openingsIn(zone: string, hours: CallingHours, from: number): number[] {
  const start = parseClock(hours.start);
  const openings: number[] = [];
  for (let d = -1; d <= SEARCH_DAYS; d++) {
    const { year, month, day } = localTime(zone, from + d * DAY_MS);
    openings.push(instantOf(zone, year, month, day, start));
  }
  return openings;
}

/**
 * The first instant at or after `epochMs` when the hours hold in every zone, or null if none within
 * the next 8 days (no shared window: the zones are too far apart, or `days` is empty). The shared
 * window opens when the last of the zones opens, so only the zones' openings need checking.
 */
export function nextOpenAt(zones: readonly string[], hours: CallingHours, epochMs: number): number | null {
  if (isOpenAt(zones, hours, epochMs)) return epochMs;
  if (hours.days.length === 0) return null;
  const horizon = epochMs + SEARCH_DAYS * DAY_MS;
  const candidates = [...new Set(zones.flatMap((zone) => openingsIn(zone, hours, epochMs)))]
    .filter((t) => t > epochMs && t <= horizon)
    .sort((a, b) => a - b);
  return candidates.find((t) => isOpenAt(zones, hours, t)) ?? null;
}
