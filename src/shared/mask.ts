/** Phone numbers never reach logs whole: keep the country prefix and the last two digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 4) return '*'.repeat(digits.length);
  const plus = phone.startsWith('+') ? '+' : '';
  return `${plus}${maskDigits([...digits])}`;
}

function maskDigits(digits: readonly string[]): string {
  return `${digits.slice(0, 2).join('')}${'*'.repeat(digits.length - 4)}${digits.slice(-2).join('')}`;
}

/**
 * What counts as a phone number in free text (ids, names, log lines): 9 or more digits in a row, in
 * any script (libphonenumber reads full-width and Arabic-Indic digits as well). Shorter runs are
 * dates, counts and ids; E.164 numbers without their country code are 9 digits or more almost
 * everywhere. Separators are not skipped, so "2024-06-01" is no number.
 */
export const PHONE_DIGITS_MIN = 9;
const PHONE_DIGIT_RUN = /\p{Nd}{9,}/u;
const PHONE_DIGIT_RUNS = /\p{Nd}{9,}/gu;

export function containsPhoneNumber(text: string): boolean {
  return PHONE_DIGIT_RUN.test(text);
}

/** Masks every run of 9+ digits the way maskPhone does: "call 13800138000" → "call 13*******00". */
export function maskPhoneNumbers(text: string): string {
  return text.replace(PHONE_DIGIT_RUNS, (run) => maskDigits([...run]));
}
