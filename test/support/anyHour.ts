/**
 * Tests run at any hour of the day: campaigns that name no calling hours get 00:00-24:00, not the
 * dialer's default 08:00-21:00 in the recipient's zone. The calling-rules tests set hours of their own.
 * Jest loads this in every test file (child processes inherit it through the environment).
 */
export const ANY_HOUR_ENV = { DEFAULT_CALLING_HOURS: '00:00-24:00' } as const;

process.env.DEFAULT_CALLING_HOURS ??= ANY_HOUR_ENV.DEFAULT_CALLING_HOURS;
