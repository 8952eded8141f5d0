import pino from 'pino';
import { maskPhoneNumbers } from './shared/mask';

/** Deeper than any log line this project writes; beyond it values are logged as they are. */
const MAX_MASK_DEPTH = 8;

/** A copy of a log argument whose strings have every run of 9+ digits masked. */
function masked(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPhoneNumbers(value);
  if (value === null || typeof value !== 'object' || depth >= MAX_MASK_DEPTH) return value;
  if (value instanceof Error) return maskedError(value, depth);
  if (Array.isArray(value)) return value.map((item) => masked(item, depth + 1));
  const proto: unknown = Object.getPrototypeOf(value);
  // Dates, Buffers and other class instances serialise themselves; only plain data is walked.
  if (proto !== Object.prototype && proto !== null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, masked(item, depth + 1)]));
}

/** The same error with its text masked; same prototype, so pino still logs it as an error of its class. */
function maskedError(error: Error, depth: number): Error {
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  for (const key of Reflect.ownKeys(error)) {
    const descriptor = Object.getOwnPropertyDescriptor(error, key)!;
    if ('value' in descriptor) descriptor.value = masked(descriptor.value, depth + 1);
    Object.defineProperty(copy, key, descriptor);
  }
  // A class may keep these behind getters: give the copy its own, masked.
  for (const key of ['message', 'stack'] as const) {
    if (!Object.hasOwn(copy, key)) Object.defineProperty(copy, key, { value: masked(error[key], depth + 1) });
  }
  return copy;
}

/**
 * Structured JSON logs. Phone numbers are kept out twice over: fields that carry one are redacted by
 * path, and every string logged (message, fields, error messages and stacks, whatever code logs
 * them) has its runs of 9+ digits masked, e.g. a path like /campaigns/13800138000.
 */
export function createLogger(
  name: string,
  level = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
): pino.Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    redact: { paths: ['to', 'phone', 'numbers', '*.to', '*.phone', '*.numbers'], censor: '[masked]' },
    hooks: {
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        // pino files a leading Error under `err` and takes its message as the line's; so does this.
        const head = first instanceof Error ? { err: masked(first) } : masked(first);
        const tail = first instanceof Error && rest.length === 0 ? [first.message] : rest;
        method.apply(this, [head, ...tail.map((arg) => masked(arg))] as Parameters<pino.LogFn>);
      },
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

export type Logger = pino.Logger;
