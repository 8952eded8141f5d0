/** What agents reported after their calls (POST /webhooks/disposition), kept with the attempt. */
import type { Pool } from './database';

export interface DispositionRecord {
  callId: string;
  campaignId: string;
  numberIndex: number;
  agentId: string;
  code: string;
  callbackAt: Date | null;
  sameAgent: boolean;
  note: string | null;
  receivedAt: Date;
}

/** A repeated delivery writes the same row again; a corrected one (same call, new code) replaces it. */
export async function saveDisposition(pool: Pool, d: DispositionRecord): Promise<void> {
  await pool.query(
    `INSERT INTO disposition (call_id, campaign_id, number_index, agent_id, code, callback_at, same_agent, note, received_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (call_id) DO UPDATE SET agent_id = $4, code = $5, callback_at = $6, same_agent = $7, note = $8, received_at = $9`,
    [d.callId, d.campaignId, d.numberIndex, d.agentId, d.code, d.callbackAt, d.sameAgent, d.note, d.receivedAt],
  );
}
