/**
 * One number's story in a campaign, to answer a complaint: every attempt (with the agent's
 * disposition), every time it was held back and why, and whether it is on the do-not-call list.
 */
import type { Pool } from './database';

export interface AuditedAttempt {
  callId: string;
  attempt: number;
  agentId: string;
  outcome: string;
  dialledAt: string;
  endedAt: string;
  talkSec: number | null;
  disposition: { code: string; note: string | null; callbackAt: string | null; sameAgent: boolean } | null;
}

export interface AuditedHold {
  reason: 'outside_hours' | 'frequency_cap' | 'do_not_call';
  at: string;
  /** When the number could be dialled again; null when never (do-not-call) or not known. */
  until: string | null;
}

export interface NumberAudit {
  campaignId: string;
  phone: string;
  index: number;
  /** The time zones its calling hours were kept in. */
  timeZones: string[];
  state: 'queued' | 'leased' | 'finished';
  dueAt: string | null;
  attempts: AuditedAttempt[];
  holds: AuditedHold[];
  doNotCall: { reason: string | null; addedAt: string } | null;
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export async function numberAudit(pool: Pool, campaignId: string, phone: string): Promise<NumberAudit | undefined> {
  const { rows: [contact] } = await pool.query<{ number_index: number; state: NumberAudit['state']; due_at: Date; zones: string[]; zone_set: number }>(
    `SELECT c.number_index, c.state, c.due_at, z.zones, c.zone_set
       FROM contact c JOIN zone_set z ON z.id = c.zone_set WHERE c.campaign_id = $1 AND c.phone = $2`,
    [campaignId, phone],
  );
  if (contact === undefined) return undefined;
  const [attempts, holds, listed] = await Promise.all([
    pool.query<{
      call_id: string; attempt: number; agent_id: string; outcome: string; dialled_at: Date; ended_at: Date; talk_sec: number | null;
      code: string | null; note: string | null; callback_at: Date | null; same_agent: boolean | null;
    }>(
      `SELECT a.call_id, a.attempt, a.agent_id, a.outcome, a.dialled_at, a.ended_at, a.talk_sec, d.code, d.note, d.callback_at, d.same_agent
         FROM attempt a LEFT JOIN disposition d ON d.call_id = a.call_id
        WHERE a.campaign_id = $1 AND a.number_index = $2 ORDER BY a.attempt`,
      [campaignId, contact.number_index],
    ),
    // The number's own holds, and its zone set's closed windows while it was still pending.
    pool.query<{ reason: AuditedHold['reason']; held_at: Date; until: Date | null }>(
      `SELECT reason, held_at, until FROM hold WHERE campaign_id = $1 AND number_index = $2
       UNION ALL
       SELECT reason, held_at, until FROM hold h
        WHERE h.campaign_id = $1 AND h.number_index IS NULL AND h.zone_set = $3
          AND ($4 <> 'finished' OR h.held_at < (SELECT max(ended_at) FROM attempt WHERE campaign_id = $1 AND number_index = $2))
       ORDER BY held_at`,
      [campaignId, contact.number_index, contact.zone_set, contact.state],
    ),
    pool.query<{ reason: string | null; added_at: Date }>('SELECT reason, added_at FROM dnc WHERE phone = $1', [phone]),
  ]);
  return {
    campaignId,
    phone,
    index: contact.number_index,
    timeZones: contact.zones,
    state: contact.state,
    dueAt: contact.state === 'queued' ? iso(contact.due_at) : null,
    attempts: attempts.rows.map((a) => ({
      callId: a.call_id,
      attempt: a.attempt,
      agentId: a.agent_id,
      outcome: a.outcome,
      dialledAt: a.dialled_at.toISOString(),
      endedAt: a.ended_at.toISOString(),
      talkSec: a.talk_sec,
      disposition: a.code === null ? null : { code: a.code, note: a.note, callbackAt: iso(a.callback_at), sameAgent: a.same_agent ?? false },
    })),
    holds: holds.rows.map((h) => ({ reason: h.reason, at: h.held_at.toISOString(), until: iso(h.until) })),
    doNotCall: listed.rows[0] ? { reason: listed.rows[0].reason, addedAt: listed.rows[0].added_at.toISOString() } : null,
  };
}
