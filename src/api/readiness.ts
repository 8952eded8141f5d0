/**
 * GET /readyz: whether this API can do its job. Temporal must answer, with the namespace and the search
 * attributes campaigns set, and a real provider and agent system must be configured: with the
 * built-in simulator's URLs standing in, campaigns would dial nobody.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { namespaceStatus } from '../temporal/namespaceSetup';
import { ApiError, type ErrorBody } from './errors';
import { withDeadline } from './temporal';

/** Probes come every few seconds: an answer must come well before the next. */
export const READY_DEADLINE_MS = 2_000;

export const READINESS_CHECKS = ['temporal', 'provider', 'agentSystem'] as const;
export type ReadinessCheck = (typeof READINESS_CHECKS)[number];

/** Each check: 'ok', or why it failed. */
export type CheckResults = Record<ReadinessCheck, string>;

export interface Ready {
  status: 'ready';
  checks: CheckResults;
}

export type Readiness = { ready: true; body: Ready } | { ready: false; body: ErrorBody };

const OK = 'ok';

/** Temporal answers, and the namespace has what campaigns need (else what is missing, and the commands that add it). */
async function temporalCheck(client: Client, namespace: string): Promise<string> {
  try {
    const status = await withDeadline(client, () => namespaceStatus(client.connection, namespace), READY_DEADLINE_MS);
    return status.ready ? OK : status.problem;
  } catch {
    return `Temporal did not answer within ${READY_DEADLINE_MS} ms`;
  }
}

function configChecks(config: Pick<Config, 'builtInSimulator' | 'agentSystemConfigured'>): Omit<CheckResults, 'temporal'> {
  return {
    provider: config.builtInSimulator ? 'TELEPHONY_BASE_URL is not set (the built-in simulator stands in)' : OK,
    agentSystem: config.agentSystemConfigured ? OK : 'AGENT_API_BASE_URL is not set (the built-in simulator stands in)',
  };
}

export async function readiness(client: Client, config: Config): Promise<Readiness> {
  const checks: CheckResults = { temporal: await temporalCheck(client, config.temporal.namespace), ...configChecks(config) };
  const failed = READINESS_CHECKS.filter((check) => checks[check] !== OK);
  if (failed.length === 0) return { ready: true, body: { status: 'ready', checks } };
  const error = new ApiError('not_ready', `not ready: ${failed.join(', ')}`, { failed, checks });
  return { ready: false, body: error.toBody() };
}
