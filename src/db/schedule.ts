/**
 * The numbers' schedule in the database, as the campaign's activities read and write it: leases into
 * the hopper, ended attempts with each number's next due time, the campaign's status. Every write is
 * idempotent: a retried lease returns the rows it took, a result already written (by callId) is skipped.
 */
import type { CallbackRequest, CallbackScheduled, CampaignStatusRecord, Lease, LeasedNumber, LeaseRequest } from '../activities/types';
import { isOpenAt, nextOpenAt } from '../rules/callingWindow';
import type { AttemptOutcome, CallingHours, FrequencyCap, Outcome } from '../shared/types';
import type { AttemptResult } from '../workflows/messages';
import { inTransaction, type Pool, type PoolClient } from './database';

interface LeasedRow {
  number_index: number;
  attempts: number;
  callbacks: number;
  last_outcome: AttemptOutcome | null;
  due_at: Date;
  callback_call_id: string | null;
  callback_agent: string | null;
}

const LEASED_COLUMNS = 'number_index, attempts, callbacks, last_outcome, due_at, callback_call_id, callback_agent';

/** Due retries and callbacks first (by due time), then numbers never dialled (in import order). */
function leasedNumbers(rows: LeasedRow[]): LeasedNumber[] {
  return rows
    .sort((a, b) => Number(b.attempts > 0) - Number(a.attempts > 0) || a.due_at.getTime() - b.due_at.getTime() || a.number_index - b.number_index)
    .map((r) => ({
      numberIndex: r.number_index,
      attempt: r.attempts + 1,
      previousOutcome: r.last_outcome,
      ...(r.callbacks > 0 ? { counted: r.attempts - r.callbacks } : {}),
      ...(r.callback_call_id === null ? {} : { callback: { agentId: r.callback_agent } }),
    }));
}

interface Candidate extends LeasedRow {
  phone: string;
}

/**
 * Up to `count` due numbers of the open zone sets, retries first: each set is read through its own
 * index range, so numbers of closed sets cost nothing however many they are.
 */
async function dueCandidates(db: PoolClient, { campaignId, count, now }: LeaseRequest, open: number[]): Promise<Candidate[]> {
  const pick = (attempts: string): string => `
    SELECT c.* FROM unnest($4::int[]) z(zs), LATERAL (
      SELECT ${LEASED_COLUMNS}, phone FROM contact
       WHERE campaign_id = $1 AND zone_set = z.zs AND state = 'queued' AND ${attempts} AND due_at <= $2
       ORDER BY due_at, number_index LIMIT $3 FOR UPDATE SKIP LOCKED) c`;
  const { rows } = await db.query<Candidate>(
    `WITH retries AS (${pick('attempts > 0')} ORDER BY due_at, number_index LIMIT $3),
          fresh AS (${pick('attempts = 0')} ORDER BY due_at, number_index LIMIT $3)
     SELECT * FROM (SELECT * FROM retries UNION ALL SELECT * FROM fresh) picked LIMIT $3`,
    [campaignId, new Date(now), count, open],
  );
  return rows;
}

/** For each capped phone: when the oldest of the calls that fill its cap leaves the window (epoch ms). */
async function cappedUntil(db: PoolClient, phones: string[], cap: FrequencyCap, now: number): Promise<Map<string, number>> {
  const windowMs = cap.perHours * 3_600_000;
  // Calls made (attempts written) and calls under way (numbers leased, in any campaign) both count.
  const { rows } = await db.query<{ phone: string; calls: number; oldest: Date }>(
    `SELECT phone, count(*)::int AS calls, min(at) AS oldest FROM (
       SELECT phone, at FROM (
         SELECT phone, dialled_at AS at, row_number() OVER (PARTITION BY phone ORDER BY dialled_at DESC) AS n
           FROM attempt WHERE phone = ANY($1) AND dialled_at > $2) made
        WHERE n <= $3
       UNION ALL
       SELECT phone, $4::timestamptz FROM contact WHERE phone = ANY($1) AND state = 'leased') counted
     GROUP BY phone HAVING count(*) >= $3`,
    [phones, new Date(now - windowMs), cap.calls, new Date(now)],
  );
  return new Map(rows.map((r) => [r.phone, r.oldest.getTime() + windowMs]));
}

/** Serialises leases that count calls per number across campaigns with those that make them. */
const FREQUENCY_LOCK = 0x4469616c; // "Dial"

async function takeDue(db: PoolClient, request: LeaseRequest, zoneSets: ZoneSetRow[]): Promise<{ rows: LeasedRow[]; doNotCall: LeasedRow[] }> {
  const { campaignId, leaseId, now, rules } = request;
  const hours = rules?.callingHours;
  const open = zoneSets.filter((z) => hours === undefined || isOpenAt(z.zones, hours, now)).map((z) => z.id);
  await logOutsideHours(db, request, zoneSets.filter((z) => !open.includes(z.id)));
  if (open.length === 0) return { rows: [], doNotCall: [] };
  const cap = rules?.frequencyCap ?? null;
  // A capped lease counts what others lease: it waits for them, and they for it; uncapped ones run together.
  await db.query(cap ? 'SELECT pg_advisory_xact_lock($1)' : 'SELECT pg_advisory_xact_lock_shared($1)', [FREQUENCY_LOCK]);
  const candidates = await dueCandidates(db, request, open);
  if (candidates.length === 0) return { rows: [], doNotCall: [] };
  const phones = candidates.map((c) => c.phone);
  const listed = new Set(
    (await db.query<{ phone: string }>('SELECT phone FROM dnc WHERE phone = ANY($1)', [phones])).rows.map((r) => r.phone),
  );
  const capped = cap ? await cappedUntil(db, phones.filter((p) => !listed.has(p)), cap, now) : new Map<string, number>();
  const doNotCall = candidates.filter((c) => listed.has(c.phone));
  const held = candidates.filter((c) => capped.has(c.phone));
  const leased = candidates.filter((c) => !listed.has(c.phone) && !capped.has(c.phone));
  const indices = (rows: Candidate[]): number[] => rows.map((r) => r.number_index);
  await db.query(`UPDATE contact SET state = 'leased', lease_id = $3 WHERE campaign_id = $1 AND number_index = ANY($2)`, [
    campaignId,
    indices(leased),
    leaseId,
  ]);
  // Kept under the lease id, so that a retried lease reports them again.
  await db.query(
    `UPDATE contact SET state = 'finished', last_outcome = 'do-not-call', lease_id = $3 WHERE campaign_id = $1 AND number_index = ANY($2)`,
    [campaignId, indices(doNotCall), leaseId],
  );
  await db.query(
    `UPDATE contact c SET due_at = h.until FROM unnest($2::int[], $3::timestamptz[]) h(number_index, until)
      WHERE c.campaign_id = $1 AND c.number_index = h.number_index`,
    [campaignId, indices(held), held.map((c) => new Date(capped.get(c.phone)!))],
  );
  await logHolds(db, campaignId, now, [
    ...doNotCall.map((c) => ({ numberIndex: c.number_index, reason: 'do_not_call' as const, until: null })),
    ...held.map((c) => ({ numberIndex: c.number_index, reason: 'frequency_cap' as const, until: capped.get(c.phone)! })),
  ]);
  return { rows: leased, doNotCall };
}

interface ZoneSetRow {
  id: number;
  zones: string[];
}

async function zoneSetsOf(db: PoolClient, campaignId: string): Promise<ZoneSetRow[]> {
  const { rows } = await db.query<ZoneSetRow>(
    'SELECT z.id, z.zones FROM campaign_zone_set cz JOIN zone_set z ON z.id = cz.zone_set WHERE cz.campaign_id = $1 ORDER BY z.id',
    [campaignId],
  );
  return rows;
}

async function logHolds(
  db: PoolClient,
  campaignId: string,
  now: number,
  holds: Array<{ numberIndex: number; reason: 'do_not_call' | 'frequency_cap' | 'outside_hours'; until: number | null }>,
): Promise<void> {
  if (holds.length === 0) return;
  await db.query(
    `INSERT INTO hold (campaign_id, number_index, reason, held_at, until)
     SELECT $1, number_index, reason, $2, until FROM unnest($3::int[], $4::text[], $5::timestamptz[]) h(number_index, reason, until)`,
    [campaignId, new Date(now), holds.map((h) => h.numberIndex), holds.map((h) => h.reason), holds.map((h) => (h.until === null ? null : new Date(h.until)))],
  );
}

/** One hold row per closed zone set that has numbers due, and per closed window: the audit's "outside hours". */
async function logOutsideHours(db: PoolClient, { campaignId, now, rules }: LeaseRequest, closed: ZoneSetRow[]): Promise<void> {
  const hours = rules?.callingHours;
  if (hours === undefined || closed.length === 0) return;
  const { rows } = await db.query<{ zone_set: number }>(
    `SELECT zs AS zone_set FROM unnest($2::int[]) z(zs)
      WHERE EXISTS (SELECT 1 FROM contact WHERE campaign_id = $1 AND zone_set = z.zs AND state = 'queued' AND due_at <= $3)`,
    [campaignId, closed.map((z) => z.id), new Date(now)],
  );
  const waiting = closed.filter((z) => rows.some((r) => r.zone_set === z.id));
  if (waiting.length === 0) return;
  await db.query(
    `INSERT INTO hold (campaign_id, zone_set, reason, held_at, until)
     SELECT $1, zone_set, 'outside_hours', $2, until FROM unnest($3::int[], $4::timestamptz[]) h(zone_set, until)
     ON CONFLICT (campaign_id, zone_set, until) WHERE number_index IS NULL DO NOTHING`,
    [campaignId, new Date(now), waiting.map((z) => z.id), waiting.map((z) => nullableDate(nextOpenAt(z.zones, hours, now)))],
  );
}

const nullableDate = (epochMs: number | null): Date | null => (epochMs === null ? null : new Date(epochMs));

/**
 * When the next queued number may be dialled: per zone set, its earliest due time, moved to the next
 * opening of its hours. Null when nothing is queued (or what is queued can never be dialled).
 */
async function nextDue(db: PoolClient, { campaignId, now, rules }: LeaseRequest, zoneSets: ZoneSetRow[]): Promise<number | null> {
  const { rows } = await db.query<{ zone_set: number; due: Date | null }>(
    `SELECT zs AS zone_set, LEAST(
       (SELECT min(due_at) FROM contact WHERE campaign_id = $1 AND zone_set = z.zs AND state = 'queued' AND attempts > 0),
       (SELECT min(due_at) FROM contact WHERE campaign_id = $1 AND zone_set = z.zs AND state = 'queued' AND attempts = 0)) AS due
     FROM unnest($2::int[]) z(zs)`,
    [campaignId, zoneSets.map((z) => z.id)],
  );
  const hours = rules?.callingHours;
  let next: number | null = null;
  for (const { zone_set, due } of rows) {
    if (due === null) continue;
    const from = Math.max(due.getTime(), now);
    const at = hours === undefined ? due.getTime() : nextOpenAt(zoneSets.find((z) => z.id === zone_set)!.zones, hours, from);
    if (at !== null && (next === null || at < next)) next = at;
  }
  return next;
}

export async function leaseNumbers(pool: Pool, request: LeaseRequest): Promise<Lease> {
  const { campaignId, leaseId } = request;
  return inTransaction(pool, async (db) => {
    // A number the lease finished `do-not-call` has lost its last outcome: its last attempt's row has it.
    const again = await db.query<LeasedRow & { state: string }>(
      `SELECT number_index, attempts, callbacks, due_at, callback_call_id, callback_agent, state,
              CASE WHEN state = 'leased' THEN last_outcome ELSE
                (SELECT outcome FROM attempt a WHERE a.campaign_id = c.campaign_id AND a.number_index = c.number_index AND a.attempt = c.attempts)
              END AS last_outcome
         FROM contact c WHERE campaign_id = $1 AND lease_id = $2 AND state IN ('leased', 'finished')`,
      [campaignId, leaseId],
    );
    const zoneSets = await zoneSetsOf(db, campaignId);
    const taken =
      again.rows.length > 0 || request.count === 0
        ? { rows: again.rows.filter((r) => r.state === 'leased'), doNotCall: again.rows.filter((r) => r.state === 'finished') }
        : await takeDue(db, request, zoneSets);
    const { rows: [campaign] } = await db.query<{ total: number }>('SELECT total FROM campaign WHERE campaign_id = $1', [campaignId]);
    if (campaign === undefined) throw new Error(`campaign ${campaignId} is not in the database`);
    return {
      numbers: leasedNumbers(taken.rows),
      ...(taken.doNotCall.length > 0
        ? { doNotCall: taken.doNotCall.map((r) => ({ numberIndex: r.number_index, previousOutcome: r.last_outcome })) }
        : {}),
      nextDueAt: await nextDue(db, request, zoneSets),
      total: campaign.total,
    };
  });
}

const ms = (epochMs: number | null): Date | null => (epochMs === null ? null : new Date(epochMs));

/** One statement: the attempts not yet written are inserted, and only their numbers are updated. */
export async function recordAttempts(pool: Pool, campaignId: string, results: readonly AttemptResult[]): Promise<void> {
  if (results.length === 0) return;
  const column = <T>(pick: (r: AttemptResult) => T): T[] => results.map(pick);
  await pool.query(
    `WITH r AS (
       SELECT * FROM unnest($2::text[], $3::int[], $4::int[], $5::text[], $6::text[], $7::bool[], $8::int[],
                            $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::bool[], $13::bool[], $14::text[])
         AS r(call_id, number_index, attempt, agent_id, outcome, final, talk_sec, dialled_at, ended_at, retry_at,
              was_callback, callback, callback_agent)),
     written AS (
       INSERT INTO attempt (call_id, campaign_id, number_index, attempt, agent_id, outcome, final, talk_sec, dialled_at, ended_at, phone)
       SELECT call_id, $1, r.number_index, attempt, agent_id, outcome, final, talk_sec, dialled_at, ended_at, c.phone
         FROM r JOIN contact c ON c.campaign_id = $1 AND c.number_index = r.number_index
       ON CONFLICT (call_id) DO NOTHING
       RETURNING call_id)
     UPDATE contact c
        SET state = CASE WHEN r.final THEN 'finished' ELSE 'queued' END,
            attempts = r.attempt, last_outcome = r.outcome, due_at = COALESCE(r.retry_at, c.due_at), lease_id = NULL,
            callbacks = c.callbacks + r.was_callback::int,
            callback_call_id = CASE WHEN r.callback THEN r.call_id END,
            callback_agent = CASE WHEN r.callback THEN r.callback_agent END
       FROM r JOIN written USING (call_id)
      WHERE c.campaign_id = $1 AND c.number_index = r.number_index AND c.attempts <= r.attempt`,
    [
      campaignId,
      column((r) => r.callId),
      column((r) => r.numberIndex),
      column((r) => r.attempt),
      column((r) => r.agentId),
      column((r) => r.outcome),
      column((r) => r.final),
      column((r) => r.talkSec === null ? null : Math.round(r.talkSec)),
      column((r) => new Date(r.dialledAt)),
      column((r) => new Date(r.endedAt)),
      column((r) => ms(r.retryAt)),
      column((r) => r.wasCallback === true),
      column((r) => r.callback !== undefined),
      column((r) => r.callback?.agentId ?? null),
    ],
  );
}

/**
 * A callback for an attempt already written: its number is queued again at the callback's time,
 * unless a later attempt exists (the number moved on) or this call's callback is already scheduled.
 * The attempt not written yet (its write is under way) is an error the activity retries.
 */
export async function scheduleCallback(pool: Pool, request: CallbackRequest): Promise<CallbackScheduled> {
  const { campaignId, callId, numberIndex, attempt, at, agentId } = request;
  return inTransaction(pool, async (db) => {
    const { rows: [contact] } = await db.query<{ state: string; attempts: number; last_outcome: Outcome; callback_call_id: string | null }>(
      'SELECT state, attempts, last_outcome, callback_call_id FROM contact WHERE campaign_id = $1 AND number_index = $2 FOR UPDATE',
      [campaignId, numberIndex],
    );
    if (contact === undefined || contact.attempts > attempt || contact.callback_call_id === callId) return { change: 'none' };
    const written = await db.query('SELECT 1 FROM attempt WHERE call_id = $1', [callId]);
    if (written.rowCount === 0) {
      // Its write is under way only if it is the attempt the number is leased for.
      if (contact.state === 'leased' && contact.attempts === attempt - 1) throw new Error(`attempt ${callId} is not written yet`);
      return { change: 'none' };
    }
    // Leased again (its retry is about to be dialled), or finished by the do-not-call list: left as it is.
    const outcome = contact.last_outcome;
    if (contact.state === 'leased' || outcome === 'do-not-call') return { change: 'none' };
    await db.query(
      `UPDATE contact SET state = 'queued', due_at = $3, callback_call_id = $4, callback_agent = $5, lease_id = NULL
        WHERE campaign_id = $1 AND number_index = $2`,
      [campaignId, numberIndex, new Date(at), callId, agentId],
    );
    return contact.state === 'finished' ? { change: 'reopened', outcome } : { change: 'rescheduled' };
  });
}

/**
 * The status GET /campaigns lists. A cancelled campaign's end also finishes the numbers that waited
 * for a retry (the campaign counted them finished when it was cancelled).
 */
export async function recordCampaignStatus(pool: Pool, { campaignId, status, completedAt, version }: CampaignStatusRecord): Promise<void> {
  await inTransaction(pool, async (db) => {
    const updated = await db.query(
      `UPDATE campaign SET status = $2, completed_at = $3, status_version = $4
        WHERE campaign_id = $1 AND status_version < $4`,
      [campaignId, status, completedAt === null ? null : new Date(completedAt), version],
    );
    if (updated.rowCount === 1 && status === 'cancelled' && completedAt !== null) {
      await db.query(
        `UPDATE contact SET state = 'finished', lease_id = NULL
          WHERE campaign_id = $1 AND state IN ('queued', 'leased') AND attempts > 0`,
        [campaignId],
      );
    }
  });
}

/** The E.164 number a call dials: its campaign and index are in the callId. */
export async function phoneOf(pool: Pool, campaignId: string, numberIndex: number): Promise<string | undefined> {
  const { rows } = await pool.query<{ phone: string }>(
    'SELECT phone FROM contact WHERE campaign_id = $1 AND number_index = $2',
    [campaignId, numberIndex],
  );
  return rows[0]?.phone;
}

export type DialCheck = { dial: true; phone: string } | { dial: false; held: 'do_not_call' } | { dial: false; held: 'outside_hours'; nextOpenAt: number | null };

/**
 * Right before a dial: a number put on the do-not-call list since its lease finishes `do-not-call`; one
 * whose window closed since goes back to the queue until it opens again. Both are logged as holds.
 * Idempotent: only a number still leased changes.
 */
export async function checkBeforeDial(pool: Pool, campaignId: string, numberIndex: number, now: number): Promise<DialCheck | undefined> {
  // One read on the way to a dial (the usual case); a write only for a number held back.
  const { rows: [row] } = await pool.query<{ phone: string; zones: string[]; hours: CallingHours | null; listed: boolean }>(
    `SELECT c.phone, z.zones, cam.input -> 'settings' -> 'callingHours' AS hours,
            EXISTS (SELECT 1 FROM dnc WHERE dnc.phone = c.phone) AS listed
       FROM contact c JOIN zone_set z ON z.id = c.zone_set JOIN campaign cam ON cam.campaign_id = c.campaign_id
      WHERE c.campaign_id = $1 AND c.number_index = $2`,
    [campaignId, numberIndex],
  );
  if (row === undefined) return undefined;
  const held = row.listed ? 'do_not_call' : row.hours !== null && !isOpenAt(row.zones, row.hours, now) ? 'outside_hours' : null;
  if (held === null) return { dial: true, phone: row.phone };
  const nextOpen = held === 'outside_hours' ? nextOpenAt(row.zones, row.hours!, now) : null;
  await inTransaction(pool, async (db) => {
    // Listed: finished. Out of its hours: still due, it waits for them (the lease skips its closed zone set).
    await db.query(
      held === 'do_not_call'
        ? `UPDATE contact SET state = 'finished', last_outcome = 'do-not-call', lease_id = NULL
            WHERE campaign_id = $1 AND number_index = $2 AND state = 'leased'`
        : `UPDATE contact SET state = 'queued', lease_id = NULL WHERE campaign_id = $1 AND number_index = $2 AND state = 'leased'`,
      [campaignId, numberIndex],
    );
    await logHolds(db, campaignId, now, [{ numberIndex, reason: held, until: nextOpen }]);
  });
  return held === 'do_not_call' ? { dial: false, held } : { dial: false, held, nextOpenAt: nextOpen };
}
