/** Campaign rows: what was imported (to start the workflow again from a retried request), and the status GET /campaigns lists. */
import type { CampaignStatus } from '../shared/types';
import type { CampaignInput } from '../workflows/messages';
import type { Pool, PoolClient } from './database';

/** The creating request's reply, kept to give a retried request the same answer. */
export interface ImportSummary {
  accepted: number;
  duplicates: number;
  rejected: Array<{ index: number; value: string; reason: string }>;
}

export type CampaignRowStatus = CampaignStatus | 'imported';

export interface CampaignRow {
  campaignId: string;
  name: string;
  workflowId: string;
  requestHash: string;
  status: CampaignRowStatus;
  input: CampaignInput;
  summary: ImportSummary;
  total: number;
  columns: string[];
  createdAt: Date;
  completedAt: Date | null;
}

interface Row {
  campaign_id: string;
  name: string;
  workflow_id: string;
  request_hash: string;
  status: CampaignRowStatus;
  input: CampaignInput;
  summary: ImportSummary;
  total: number;
  columns: string[];
  created_at: Date;
  completed_at: Date | null;
}

const COLUMNS = 'campaign_id, name, workflow_id, request_hash, status, input, summary, total, columns, created_at, completed_at';

function fromRow(r: Row): CampaignRow {
  return {
    campaignId: r.campaign_id,
    name: r.name,
    workflowId: r.workflow_id,
    requestHash: r.request_hash,
    status: r.status,
    input: r.input,
    summary: r.summary,
    total: r.total,
    columns: r.columns,
    createdAt: r.created_at,
    completedAt: r.completed_at,
  };
}

export async function findCampaign(db: Pool | PoolClient, campaignId: string, forUpdate = false): Promise<CampaignRow | undefined> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM campaign WHERE campaign_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [campaignId],
  );
  return rows[0] && fromRow(rows[0]);
}

/** The row of a campaign being imported, written first so that a second request for the id waits on it, then fails. */
export async function insertCampaign(db: PoolClient, row: Omit<CampaignRow, 'status' | 'total' | 'columns' | 'completedAt'>): Promise<void> {
  await db.query(
    `INSERT INTO campaign (campaign_id, name, workflow_id, request_hash, status, input, summary, total, created_at, agent_ids)
     VALUES ($1, $2, $3, $4, 'imported', $5, $6, 0, $7, $8)`,
    [row.campaignId, row.name, row.workflowId, row.requestHash, row.input, row.summary, row.createdAt, row.input.agentIds ?? null],
  );
}

/** Once the numbers are in: their count, the imported columns, and the input and reply that go with them. */
export async function completeImport(
  db: PoolClient,
  campaignId: string,
  values: { total: number; columns: string[]; input?: CampaignInput; summary?: ImportSummary; requestHash?: string },
): Promise<void> {
  await db.query(
    `UPDATE campaign SET total = $2,
            columns = ARRAY(SELECT c FROM unnest(columns || $3::text[]) WITH ORDINALITY AS t(c, n) GROUP BY c ORDER BY min(n)),
            input = COALESCE($4, input), summary = COALESCE($5, summary), request_hash = COALESCE($6, request_hash)
      WHERE campaign_id = $1`,
    [campaignId, values.total, values.columns, values.input ?? null, values.summary ?? null, values.requestHash ?? null],
  );
}

/** The workflow has started: the row shows the campaign running (unless the workflow already wrote a later status). */
export async function markStarted(pool: Pool, campaignId: string): Promise<void> {
  await pool.query(`UPDATE campaign SET status = 'running' WHERE campaign_id = $1 AND status = 'imported'`, [campaignId]);
}

export interface CampaignListing {
  campaignId: string;
  name: string;
  status: CampaignStatus;
  workflowId: string;
}

/** Started campaigns, newest first. */
export async function listCampaigns(pool: Pool, limit: number): Promise<CampaignListing[]> {
  const { rows } = await pool.query<Pick<Row, 'campaign_id' | 'name' | 'workflow_id'> & { status: CampaignStatus }>(
    `SELECT campaign_id, name, workflow_id, status FROM campaign WHERE status <> 'imported'
      ORDER BY created_at DESC, campaign_id LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ campaignId: r.campaign_id, name: r.name, status: r.status, workflowId: r.workflow_id }));
}

/** A campaign's finished numbers by how their last attempt ended, read from its contacts (one grouped scan). */
export async function finishedByOutcome(db: Pool, campaignId: string): Promise<Map<string, number>> {
  const { rows } = await db.query<{ outcome: string; n: number }>(
    `SELECT last_outcome AS outcome, count(*)::int AS n FROM contact
     WHERE campaign_id = $1 AND state = 'finished' AND last_outcome IS NOT NULL GROUP BY last_outcome`,
    [campaignId],
  );
  return new Map(rows.map((r) => [r.outcome, r.n]));
}

/**
 * Workflow ids of the live (running or paused) campaigns that include the agent: those started with
 * it among their agents, and those that take every agent. A campaign ended from outside (the Temporal
 * UI) may still be listed; its signal then finds no workflow, which the caller ignores.
 */
export async function liveCampaignsWithAgent(db: Pool, agentId: string): Promise<string[]> {
  const { rows } = await db.query<{ workflow_id: string }>(
    `SELECT workflow_id FROM campaign
     WHERE status IN ('running', 'paused') AND (agent_ids IS NULL OR $1 = ANY (agent_ids))`,
    [agentId],
  );
  return rows.map((r) => r.workflow_id);
}
