/**
 * Configuration of every process, read from the environment and validated once at start.
 * A bad value stops the process with one line naming the variable.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TLSConfig } from '@temporalio/client';
import { z } from 'zod';
import type { TwilioSettings } from './activities/twilioProvider';
import { CLOCK_PATTERN, parseClock } from './rules/callingWindow';
import { type CallingHours, WEEKDAYS } from './shared/types';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

const port = z.coerce.number().int().min(1).max(65535);
const positiveSeconds = z.coerce.number().positive().max(86_400);
const url = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));
const optionalSecret = z.string().min(1).optional();
/** Requests per minute and client; 0 turns the limit off. */
const perMinute = z.coerce.number().int().min(0).max(100_000_000);
/** A port where 0 turns the listener off. */
const optionalPort = z.coerce.number().int().min(0).max(65535);
const hostPort = z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'expected host:port');
const databaseUrl = z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// or postgresql:// URL' });

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port').default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('campaign-dialer'),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  TEMPORAL_TLS_CERT: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS_CA: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: optionalSecret,
  PORT: port.default(3000),
  PUBLIC_BASE_URL: url.optional(),
  API_KEY: optionalSecret,
  WEBHOOK_SECRET: optionalSecret,
  TELEPHONY_PROVIDER: z.enum(['http', 'twilio']).default('http'),
  TELEPHONY_BASE_URL: url.optional(),
  TELEPHONY_API_KEY: optionalSecret,
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'expected AC followed by 32 hex digits').optional(),
  TWILIO_AUTH_TOKEN: optionalSecret,
  TWILIO_FROM: z.string().regex(/^\+[1-9]\d{1,14}$/, 'expected an E.164 number such as +14155550100').optional(),
  TWILIO_AGENT_ADDRESS: z
    .string()
    .regex(/^(client:|sips?:|tel:\+|\+)/, 'expected client:…, sip:…, sips:… or tel:+…')
    .refine((address) => address.includes('{agentId}'), 'must contain {agentId}')
    .default('client:{agentId}'),
  TWILIO_API_BASE_URL: url.optional(),
  AGENT_API_BASE_URL: url.optional(),
  SIMULATOR_PORT: port.default(3100),
  AGENT_POLL_SEC: positiveSeconds.default(5),
  CALL_SILENCE_SEC: positiveSeconds.default(60),
  CALL_LOOKUP_GIVE_UP_SEC: positiveSeconds.default(900),
  RATE_LIMIT_PER_MIN: perMinute.default(600),
  WEBHOOK_RATE_LIMIT_PER_MIN: perMinute.default(300_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WORKER_CONNECT_TIMEOUT_SEC: z.coerce.number().positive().max(3600).default(60),
  WORKER_METRICS_PORT: optionalPort.default(9464),
  TEMPORAL_METRICS_BIND: hostPort.optional(),
  DATABASE_URL: databaseUrl.optional(),
  DEFAULT_CALLING_HOURS: z
    .string()
    .transform((text, ctx): { start: string; end: string } => {
      const [start = '', end = ''] = text.split('-').map((t) => t.trim());
      if (CLOCK_PATTERN.test(start) && CLOCK_PATTERN.test(end) && parseClock(start) < parseClock(end)) return { start, end };
      ctx.issues.push({ code: 'custom', input: text, message: 'expected HH:MM-HH:MM with start before end, e.g. 08:00-21:00' });
      return z.NEVER;
    })
    .default({ start: '08:00', end: '21:00' }),
  CONSOLE_DIR: z.string().min(1).optional(),
  TEMPORAL_UI_URL: url.optional(),
});

export interface Config {
  temporal: { address: string; namespace: string; taskQueue: string; security: TemporalSecurity };
  port: number;
  publicBaseUrl: string;
  apiKey?: string;
  webhookSecret?: string;
  /** `baseUrl` and `apiKey` are the http provider's; with Twilio, `twilio` holds its settings. */
  telephony: { provider: 'http' | 'twilio'; baseUrl: string; apiKey?: string };
  /** Set exactly when TELEPHONY_PROVIDER=twilio. */
  twilio?: TwilioSettings;
  agentApiBaseUrl: string;
  /** True when no provider is configured and the built-in simulator plays provider and agent system. */
  builtInSimulator: boolean;
  /** False when AGENT_API_BASE_URL is unset and the built-in simulator's URL stands in for it. */
  agentSystemConfigured: boolean;
  simulatorPort: number;
  timing: { agentPollSec: number; callSilenceSec: number; lookupGiveUpSec: number };
  /** Requests per minute: management routes per API key (else per IP), webhooks per IP; 0 = no limit. */
  rateLimit: { perMinute: number; webhooksPerMinute: number };
  logLevel: string;
  worker: {
    /** The worker exits non-zero when Temporal does not answer within this. */
    connectTimeoutSec: number;
    /** Port of the worker's own GET /metrics; 0 = none. */
    metricsPort: number;
    /** host:port where the Temporal SDK serves its own Prometheus metrics; unset = not exported. */
    temporalMetricsBind?: string;
  };
  /** The dialer's own PostgreSQL; unset: `npm start` runs an embedded one, the worker and the API refuse to start. */
  database: { url?: string };
  /** The calling hours of a campaign that names none (every day). */
  rules: { defaultCallingHours: CallingHours };
  /** The browser console: where its built files are, and the Temporal UI its campaign pages link to (unset: no link). */
  console: { dir: string; temporalUiUrl?: string };
}

/** Validates the environment against a schema; the first problem becomes a ConfigError naming its variable. */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  // Empty variables count as unset, as in most twelve-factor setups.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
  }
  return parsed.data;
}

/** How the dialer reaches a Temporal that wants TLS (Temporal Cloud, a self-hosted frontend with certificates). */
export interface TemporalSecurity {
  /** false: plaintext; true: TLS with the system's roots; else the files given. */
  tls: boolean | TLSConfig;
  /** A Temporal Cloud API key, sent as a bearer token (over TLS). A secret: never logged. */
  apiKey?: string;
}

function readPem(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(variable, `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** TEMPORAL_TLS_CERT and _KEY (mTLS, both or neither), _CA, _SERVER_NAME; TEMPORAL_API_KEY implies TLS. */
function temporalSecurity(e: z.output<typeof envSchema>): TemporalSecurity {
  if ((e.TEMPORAL_TLS_CERT === undefined) !== (e.TEMPORAL_TLS_KEY === undefined)) {
    throw new ConfigError(e.TEMPORAL_TLS_CERT === undefined ? 'TEMPORAL_TLS_CERT' : 'TEMPORAL_TLS_KEY', 'set both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY for mTLS, or neither');
  }
  const files: TLSConfig = {
    ...(e.TEMPORAL_TLS_CERT && e.TEMPORAL_TLS_KEY
      ? { clientCertPair: { crt: readPem('TEMPORAL_TLS_CERT', e.TEMPORAL_TLS_CERT), key: readPem('TEMPORAL_TLS_KEY', e.TEMPORAL_TLS_KEY) } }
      : {}),
    ...(e.TEMPORAL_TLS_CA ? { serverRootCACertificate: readPem('TEMPORAL_TLS_CA', e.TEMPORAL_TLS_CA) } : {}),
    ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
  const needsTls = e.TEMPORAL_API_KEY !== undefined || Object.keys(files).length > 0;
  const wanted = e.TEMPORAL_TLS === 'true' || needsTls;
  if (e.TEMPORAL_TLS === 'false' && needsTls) {
    throw new ConfigError('TEMPORAL_TLS', 'false, but TEMPORAL_API_KEY or a TEMPORAL_TLS_* file is set: those need TLS');
  }
  return {
    tls: !wanted ? false : Object.keys(files).length > 0 ? files : true,
    ...(e.TEMPORAL_API_KEY === undefined ? {} : { apiKey: e.TEMPORAL_API_KEY }),
  };
}

/** With TELEPHONY_PROVIDER=twilio: its settings, each required one present. */
function twilioSettings(e: z.output<typeof envSchema>): TwilioSettings {
  const required = (name: 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_FROM'): string => {
    const value = e[name];
    if (value === undefined) throw new ConfigError(name, 'required when TELEPHONY_PROVIDER=twilio');
    return value;
  };
  return {
    accountSid: required('TWILIO_ACCOUNT_SID'),
    authToken: required('TWILIO_AUTH_TOKEN'),
    from: required('TWILIO_FROM'),
    agentAddress: e.TWILIO_AGENT_ADDRESS,
    ...(e.TWILIO_API_BASE_URL === undefined ? {} : { apiBaseUrl: e.TWILIO_API_BASE_URL }),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(envSchema, env);
  const twilio = e.TELEPHONY_PROVIDER === 'twilio' ? twilioSettings(e) : undefined;
  const simulatorUrl = `http://localhost:${e.SIMULATOR_PORT}`;
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      security: temporalSecurity(e),
    },
    port: e.PORT,
    publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`,
    apiKey: e.API_KEY,
    webhookSecret: e.WEBHOOK_SECRET,
    telephony: { provider: e.TELEPHONY_PROVIDER, baseUrl: e.TELEPHONY_BASE_URL ?? simulatorUrl, apiKey: e.TELEPHONY_API_KEY },
    ...(twilio === undefined ? {} : { twilio }),
    agentApiBaseUrl: e.AGENT_API_BASE_URL ?? simulatorUrl,
    // Twilio is a real provider: the simulator never stands in for it.
    builtInSimulator: twilio === undefined && e.TELEPHONY_BASE_URL === undefined,
    agentSystemConfigured: e.AGENT_API_BASE_URL !== undefined,
    simulatorPort: e.SIMULATOR_PORT,
    timing: { agentPollSec: e.AGENT_POLL_SEC, callSilenceSec: e.CALL_SILENCE_SEC, lookupGiveUpSec: e.CALL_LOOKUP_GIVE_UP_SEC },
    rateLimit: { perMinute: e.RATE_LIMIT_PER_MIN, webhooksPerMinute: e.WEBHOOK_RATE_LIMIT_PER_MIN },
    logLevel: e.LOG_LEVEL,
    worker: {
      connectTimeoutSec: e.WORKER_CONNECT_TIMEOUT_SEC,
      metricsPort: e.WORKER_METRICS_PORT,
      temporalMetricsBind: e.TEMPORAL_METRICS_BIND,
    },
    database: { url: e.DATABASE_URL },
    rules: { defaultCallingHours: { ...e.DEFAULT_CALLING_HOURS, days: [...WEEKDAYS] } },
    // `npm run build:console` writes dist/console; relative to the working directory, as npm scripts run from the root.
    console: { dir: path.resolve(e.CONSOLE_DIR ?? 'dist/console'), temporalUiUrl: e.TEMPORAL_UI_URL },
  };
}

/** The worker and the API started on their own have no embedded database to fall back on. */
export function requireDatabaseUrl(config: Config): string {
  if (config.database.url === undefined) throw new ConfigError('DATABASE_URL', "required: the dialer's PostgreSQL, postgres://…");
  return config.database.url;
}

/** For process entry points: what `load` reads, or one line on stderr naming the variable and exit code 2. */
export function exitOnConfigError<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  return exitOnConfigError(() => loadConfig(env));
}
