/**
 * Shared by the API tests: an app wired to the run's real Temporal server on a task queue no worker
 * polls (so nothing runs the campaigns) and to a database of its own (a fresh copy of the migrated
 * template), signed webhook requests, history/visibility checks, and readers of what the API wrote
 * to the database.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type express from 'express';
import pino, { type Logger } from 'pino';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { signWebhook } from '../../src/api/signature';
import { type Config, loadConfig } from '../../src/config';
import { workflowIdFor } from '../../src/shared/callId';
import { type CampaignRow, findCampaign } from '../../src/db/campaigns';
import { openDatabase, type Pool } from '../../src/db/database';
import { AGENT_CLAIM_WORKFLOW_TYPE } from '../../src/workflows/agentClaims';
import type { CampaignInput } from '../../src/workflows/messages';
import { ANY_HOUR_ENV } from '../support/anyHour';
import { freshDatabaseUrl } from '../support/database';
import { testAddress, testConnection, testNamespace, uniqueTaskQueue } from '../support/temporal';

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export interface TestApi {
  app: express.Express;
  client: Client;
  config: Config;
  /** The API's own database, to read what it wrote. */
  pool: Pool;
}

const pools: Pool[] = [];
if (typeof afterAll === 'function') afterAll(() => Promise.all(pools.splice(0).map((pool) => pool.end())));

/** A pool on a database of its own (or on `url`), closed after the test file. */
export async function testPool(url?: string): Promise<Pool> {
  const { pool } = openDatabase(url ?? (await freshDatabaseUrl()), silentLogger);
  pools.push(pool);
  return pool;
}

/**
 * `env` is the process environment the API would see, on top of the test server's address;
 * `logger` replaces the silent one (to read what the API logs).
 */
export async function testApi(env: Record<string, string> = {}, logger: Logger = silentLogger): Promise<TestApi> {
  const { client } = await testConnection();
  const config = loadConfig({
    TEMPORAL_ADDRESS: testAddress(),
    TEMPORAL_NAMESPACE: testNamespace(),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('api'),
    ...ANY_HOUR_ENV,
    DATABASE_URL: await freshDatabaseUrl(),
    ...env,
  });
  const pool = await testPool(config.database.url);
  return { app: createApp({ config, client, pool, logger }), client, config, pool };
}

/** Split in two, so that the hex never holds 9 digits in a row (refused as a possible phone number). */
export function uniqueCampaignId(prefix = 'c'): string {
  const hex = randomBytes(5).toString('hex');
  return `${prefix}-${hex.slice(0, 5)}-${hex.slice(5)}`;
}

/** A webhook POST with a valid signature (or the `headers` given instead); `app` may be a listening server. */
export function postWebhook(
  app: express.Express | Server,
  path: string,
  body: unknown,
  options: { secret?: string; nowSec?: number; headers?: Record<string, string> } = {},
): request.Test {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const signature = options.secret === undefined ? {} : signWebhook(options.secret, raw, options.nowSec);
  return request(app)
    .post(path)
    .set('content-type', 'application/json')
    .set({ ...signature, ...options.headers })
    .send(raw);
}

/** A 400 invalid_request that names at least these failing fields. */
type InvalidReply = { body: { error: { code: string; details: { fields: Array<{ field: string }> } } } };

export function expectInvalidFields(res: InvalidReply, fields: string[]): void {
  expect(res.body.error.code).toBe('invalid_request');
  expect(res.body.error.details.fields.map((f) => f.field)).toEqual(expect.arrayContaining(fields));
}

export async function campaignExists(client: Client, campaignId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowIdFor(campaignId)).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** The input the campaign's workflow was started with, read back from its history. */
async function startArgument<T>(client: Client, workflowId: string): Promise<T> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error(`no start input for ${workflowId}`);
  return defaultPayloadConverter.fromPayload<T>(payload);
}

export function startInput(client: Client, campaignId: string): Promise<CampaignInput> {
  return startArgument<CampaignInput>(client, workflowIdFor(campaignId));
}

/**
 * The campaign's numbers as the database holds them (its contact rows), in index order, with their
 * contact data (undefined when no row has any). Indices are checked to run 0, 1, 2... without a gap.
 */
export async function storedNumbers(
  pool: Pool,
  campaignId: string,
): Promise<{ numbers: string[]; contacts: Array<Record<string, string>> | undefined }> {
  const { rows } = await pool.query<{ number_index: number; phone: string; data: Record<string, string> | null }>(
    'SELECT number_index, phone, data FROM contact WHERE campaign_id = $1 ORDER BY number_index',
    [campaignId],
  );
  const gaps = rows.filter((r, i) => r.number_index !== i).map((r) => r.number_index);
  expect(gaps).toEqual([]);
  const contacts = rows.some((r) => r.data !== null) ? rows.map((r) => r.data ?? {}) : undefined;
  return { numbers: rows.map((r) => r.phone), contacts };
}

/** The campaign's row (undefined: the database has no such campaign). */
export function campaignRow(pool: Pool, campaignId: string): Promise<CampaignRow | undefined> {
  return findCampaign(pool, campaignId);
}

/** Contact rows the database holds for a campaign id. */
export async function contactCount(pool: Pool, campaignId: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*) AS n FROM contact WHERE campaign_id = $1', [campaignId]);
  return rows[0]!.n;
}

export interface ReceivedSignal {
  name: string;
  arg: unknown;
}

/** Signals in the workflow's history: what Temporal durably accepted. */
export async function receivedSignals(client: Client, workflowId: string): Promise<ReceivedSignal[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const attrs = event.workflowExecutionSignaledEventAttributes;
    if (!attrs) return [];
    const payload = attrs.input?.payloads?.[0];
    return [{ name: attrs.signalName ?? '', arg: payload ? defaultPayloadConverter.fromPayload(payload) : undefined }];
  });
}

/**
 * Workflows started on a task queue, per the visibility store (eventually consistent), but for the
 * agents' claim workflows, which placeCall starts rather than a request.
 */
export async function workflowsOnQueue(client: Client, taskQueue: string): Promise<string[]> {
  const ids: string[] = [];
  const query = `TaskQueue = '${taskQueue}' AND WorkflowType != '${AGENT_CLAIM_WORKFLOW_TYPE}'`;
  for await (const info of client.workflow.list({ query })) ids.push(info.workflowId);
  return ids.sort();
}

/** A valid mobile number per index, distinct for distinct `i`, in national (CN) form. */
export function nationalNumber(i: number): string {
  return `139${String(10_000_000 + i).slice(-8)}`;
}
