/** Numbers, shares and times as supervisors read them, in the browser's locale and time zone. */
const count = new Intl.NumberFormat();
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

export const formatCount = (n: number): string => count.format(n);

/** A share from 0 to 1; a dash when there is nothing to divide by yet. */
export const formatShare = (share: number | null): string => (share === null ? '–' : percent.format(share));

export const formatDateTime = (iso: string | null): string => (iso === null ? '–' : dateTime.format(new Date(iso)));

/** Today's times as a time alone; other days with their date. */
export function formatWhen(iso: string): string {
  const at = new Date(iso);
  return at.toDateString() === new Date().toDateString() ? time.format(at) : dateTime.format(at);
}

export function formatSeconds(sec: number | null): string {
  if (sec === null) return '–';
  const minutes = Math.floor(sec / 60);
  const seconds = Math.round(sec % 60);
  return minutes === 0 ? `${seconds} s` : `${minutes} min ${seconds} s`;
}
