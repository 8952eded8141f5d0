/** The pending numbers of a campaign that wait, as GET /campaigns/:id shows them: outside their hours, or for a later time. */
import { isOpenAt } from '../rules/callingWindow';
import type { CallingHours } from '../shared/types';
import type { Pool } from './database';

export interface WaitingCounts {
  /** Due, but their window is closed. */
  outsideHours: number;
  /** Queued for a later time: a retry, a callback, or held by the frequency cap. */
  retryLater: number;
}

/** Counted per zone set through the lease indexes (index ranges, not a scan of the campaign's rows). */
export async function waitingCounts(pool: Pool, campaignId: string, hours: CallingHours | undefined, now: number): Promise<WaitingCounts> {
  const { rows } = await pool.query<{ zones: string[]; due: number; later: number }>(
    `SELECT z.zones,
       (SELECT count(*) FROM contact c WHERE c.campaign_id = $1 AND c.zone_set = z.id AND c.state = 'queued' AND c.due_at <= $2) AS due,
       (SELECT count(*) FROM contact c WHERE c.campaign_id = $1 AND c.zone_set = z.id AND c.state = 'queued' AND c.due_at > $2) AS later
     FROM campaign_zone_set cz JOIN zone_set z ON z.id = cz.zone_set WHERE cz.campaign_id = $1`,
    [campaignId, new Date(now)],
  );
  let outsideHours = 0;
  let retryLater = 0;
  for (const { zones, due, later } of rows) {
    retryLater += later;
    if (hours !== undefined && !isOpenAt(zones, hours, now)) outsideHours += due;
  }
  return { outsideHours, retryLater };
}
