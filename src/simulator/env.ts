/** The simulator process's configuration from the environment; a bad value names its variable. */
import { z } from 'zod';
import { ConfigError, parseEnv } from '../config';
import { faultsPatchSchema } from './faults';
import type { SimulatorOptions } from './options';

export interface SimulatorEnv {
  port: number;
  logLevel: string;
  options: Omit<SimulatorOptions, 'logger'>;
}

const number = (schema: z.ZodNumber) => z.coerce.number().pipe(schema);
const rate = number(z.number().min(0).max(1));
const url = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));

/** "3-15" or "5" (fixed), in simulated seconds. */
const secondsRange = z
  .string()
  .regex(/^\s*\d+(\.\d+)?\s*(-\s*\d+(\.\d+)?\s*)?$/, 'expected "min-max" seconds, e.g. "3-15"')
  .transform((text) => {
    const [min, max = min] = text.split('-').map((s) => Number(s.trim())) as [number, number?];
    return [min, max] as [number, number];
  })
  .refine(([min, max]) => min <= max, 'min must not exceed max');

/** A count ("10": a1..a10) or a comma-separated list of ids. */
const agents = z.string().transform((text, ctx): number | string[] => {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    if (n > 100_000) ctx.addIssue({ code: 'custom', message: 'at most 100000 agents' });
    return n;
  }
  const ids = trimmed.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length === 0 || ids.some((id) => !/^[A-Za-z0-9_.:-]{1,64}$/.test(id))) {
    ctx.addIssue({ code: 'custom', message: 'expected a count or comma-separated agent ids' });
  } else if (new Set(ids).size !== ids.length) {
    ctx.addIssue({ code: 'custom', message: 'agent ids must be unique' });
  }
  return ids;
});

const envSchema = z.object({
  SIMULATOR_PORT: number(z.number().int().min(0).max(65535)).default(3100),
  SIM_HOST: z.string().min(1).default('127.0.0.1'),
  SIM_AGENTS: agents.optional(),
  SIM_ANSWER_RATE: rate.optional(),
  SIM_BUSY_RATE: rate.optional(),
  SIM_FAIL_RATE: rate.optional(),
  SIM_RING_SEC: secondsRange.optional(),
  SIM_TALK_SEC: secondsRange.optional(),
  SIM_WRAPUP_SEC: secondsRange.optional(),
  SIM_TIME_SCALE: number(z.number().positive().max(1000)).optional(),
  SIM_SEED: number(z.number().int()).optional(),
  SIM_WEBHOOK_DROP_RATE: rate.optional(),
  SIM_WEBHOOK_DUP_RATE: rate.optional(),
  /** Share of answered calls whose agent reports a disposition, and of those the share asking a callback. */
  SIM_DISPOSITION_RATE: rate.optional(),
  SIM_CALLBACK_RATE: rate.optional(),
  /** Any other faults.ts setting, as JSON: '{"callErrorRate":0.05,"webhookDelayMs":[0,300]}'. */
  SIM_FAULTS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON object' });
        return z.NEVER;
      }
    })
    .pipe(faultsPatchSchema)
    .optional(),
  SIM_AGENT_REPORT_GRACE_MS: number(z.number().int().min(0).max(60_000)).optional(),
  WEBHOOK_SECRET: z.string().min(1).optional(),
  TELEPHONY_API_KEY: z.string().min(1).optional(),
  /** "off" disables agent webhooks (the dialer must then catch up via GET /agents). */
  SIM_AGENT_WEBHOOK_URL: z.union([z.literal('off'), url]).optional(),
  PUBLIC_BASE_URL: url.optional(),
  PORT: number(z.number().int().min(1).max(65535)).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export function loadSimulatorEnv(env: NodeJS.ProcessEnv = process.env): SimulatorEnv {
  const e = parseEnv(envSchema, env);
  const rates = (e.SIM_ANSWER_RATE ?? 0.6) + (e.SIM_BUSY_RATE ?? 0.15) + (e.SIM_FAIL_RATE ?? 0.05);
  if (rates > 1 + 1e-9) {
    throw new ConfigError('SIM_ANSWER_RATE', 'SIM_ANSWER_RATE + SIM_BUSY_RATE + SIM_FAIL_RATE must not exceed 1');
  }
  const agentWebhookUrl =
    e.SIM_AGENT_WEBHOOK_URL === 'off'
      ? undefined
      : (e.SIM_AGENT_WEBHOOK_URL ?? `${e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`}/webhooks/agent-status`);
  return {
    port: e.SIMULATOR_PORT,
    logLevel: e.LOG_LEVEL,
    options: {
      host: e.SIM_HOST,
      agents: e.SIM_AGENTS ?? 10,
      answerRate: e.SIM_ANSWER_RATE,
      busyRate: e.SIM_BUSY_RATE,
      failRate: e.SIM_FAIL_RATE,
      ringSec: e.SIM_RING_SEC,
      talkSec: e.SIM_TALK_SEC,
      wrapUpSec: e.SIM_WRAPUP_SEC,
      timeScale: e.SIM_TIME_SCALE,
      seed: e.SIM_SEED,
      faults: {
        ...e.SIM_FAULTS,
        ...(e.SIM_WEBHOOK_DROP_RATE === undefined ? {} : { webhookDropRate: e.SIM_WEBHOOK_DROP_RATE }),
        ...(e.SIM_WEBHOOK_DUP_RATE === undefined ? {} : { webhookDuplicateRate: e.SIM_WEBHOOK_DUP_RATE }),
      },
      agentReportGraceMs: e.SIM_AGENT_REPORT_GRACE_MS,
      webhookSecret: e.WEBHOOK_SECRET,
      apiKey: e.TELEPHONY_API_KEY,
      agentWebhookUrl,
      dispositions: {
        ...(e.SIM_DISPOSITION_RATE === undefined ? {} : { rate: e.SIM_DISPOSITION_RATE }),
        ...(e.SIM_CALLBACK_RATE === undefined ? {} : { callbackRate: e.SIM_CALLBACK_RATE }),
      },
    },
  };
}
