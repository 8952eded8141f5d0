import pino from 'pino';

/** Structured JSON logs; fields that can carry a phone number are redacted by path as a safety net. */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): pino.Logger {
  return pino({
    name,
    level,
    redact: { paths: ['to', 'phone', 'numbers', '*.to', '*.phone', '*.numbers'], censor: '[masked]' },
  });
}

export type Logger = pino.Logger;
