/** The simulator's options: validated once, with the defaults of a plausible call centre. */
import { z } from 'zod';
import type { Logger } from '../logger';
import { faultsPatchSchema } from './faults';

const rate = z.number().min(0).max(1);
const secondsRange = z
  .tuple([z.number().min(0).max(86_400), z.number().min(0).max(86_400)])
  .refine(([min, max]) => min <= max, 'min must not exceed max');
const agentId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1-64 of [A-Za-z0-9_.:-]');

function isLogger(value: unknown): value is Logger {
  return typeof value === 'object' && value !== null && typeof (value as { info?: unknown }).info === 'function';
}

export const simulatorOptionsSchema = z
  .object({
    /** A count (ids a1..aN) or explicit ids. */
    agents: z
      .union([
        z.number().int().min(0).max(100_000),
        z.array(agentId).refine((ids) => new Set(ids).size === ids.length, 'agent ids must be unique'),
      ])
      .default(10),
    answerRate: rate.default(0.6),
    busyRate: rate.default(0.15),
    failRate: rate.default(0.05),
    ringSec: secondsRange.default([3, 15]),
    talkSec: secondsRange.default([20, 90]),
    wrapUpSec: secondsRange.default([3, 10]),
    /** Real ms = simulated s * 1000 * timeScale. */
    timeScale: z.number().positive().max(1000).default(1),
    /** Absent: a random seed, reported by `seed` on the simulator. */
    seed: z.number().int().optional(),
    webhookSecret: z.string().min(1).optional(),
    agentWebhookUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Absent: derived from agentWebhookUrl (see dispositionWebhookUrlOf). */
    dispositionWebhookUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** What agents report after answered calls (POST /webhooks/disposition); none by default. */
    dispositions: z
      .object({
        rate: rate.default(0),
        callbackRate: rate.default(0),
        doNotCallRate: rate.default(0),
        callbackAfterSec: secondsRange.default([60, 300]),
        sameAgentRate: rate.default(1),
        codes: z.array(z.string().min(1).max(64)).min(1).default(['sale', 'not-interested', 'wrong-person']),
      })
      .refine((d) => d.callbackRate + d.doNotCallRate <= 1 + 1e-9, { message: 'callbackRate + doNotCallRate must not exceed 1', path: ['callbackRate'] })
      .prefault({}),
    apiKey: z.string().min(1).optional(),
    /** Faults injected from the start (see faults.ts); `POST /_sim/faults` changes them while running. */
    faults: faultsPatchSchema.default({}),
    /** See CallEngineDeps.agentReportGraceMs; 0 judges strictly. */
    agentReportGraceMs: z.number().int().min(0).max(60_000).default(0),
    webhookRetry: z
      .object({
        maxAttempts: z.number().int().min(1).max(100).default(10),
        minDelayMs: z.number().int().min(0).max(60_000).default(100),
        maxDelayMs: z.number().int().min(0).max(600_000).default(2_000),
        timeoutMs: z.number().int().min(1).max(600_000).default(5_000),
      })
      .prefault({}),
    host: z.string().min(1).default('127.0.0.1'),
    logger: z.custom<Logger>(isLogger, 'expected a pino logger').optional(),
  })
  .refine((o) => o.answerRate + o.busyRate + o.failRate <= 1 + 1e-9, {
    message: 'answerRate + busyRate + failRate must not exceed 1',
    path: ['answerRate'],
  });

export type SimulatorOptions = z.input<typeof simulatorOptionsSchema>;
export type ResolvedSimulatorOptions = z.output<typeof simulatorOptionsSchema>;

export class SimulatorOptionsError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`invalid simulator option ${option}: ${message}`);
  }
}

export function resolveOptions(options: SimulatorOptions): ResolvedSimulatorOptions {
  const parsed = simulatorOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SimulatorOptionsError(issue.path.join('.') || 'options', issue.message);
  }
  return parsed.data;
}

export function agentIdsOf(agents: number | string[]): string[] {
  return typeof agents === 'number' ? Array.from({ length: agents }, (_, i) => `a${i + 1}`) : [...agents];
}

/**
 * Where agents send dispositions: the option, else the agent webhook's URL with its trailing
 * /agent-status path replaced by /disposition. Undefined when neither tells: guessing would post
 * dispositions to the agent-status endpoint.
 */
export function dispositionWebhookUrlOf(
  o: Pick<ResolvedSimulatorOptions, 'dispositionWebhookUrl' | 'agentWebhookUrl'>,
): string | undefined {
  if (o.dispositionWebhookUrl !== undefined) return o.dispositionWebhookUrl;
  if (o.agentWebhookUrl === undefined) return undefined;
  const url = new URL(o.agentWebhookUrl);
  if (!url.pathname.endsWith('/agent-status')) return undefined;
  url.pathname = `${url.pathname.slice(0, -'/agent-status'.length)}/disposition`;
  return url.toString();
}
