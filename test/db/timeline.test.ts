/** The console's attempt buckets on a real PostgreSQL: the table's rows, plus what the workflow has not written yet, each once. */
import pg from 'pg';
import type { Pool } from '../../src/db/database';
import { attemptBuckets } from '../../src/db/timeline';
import { freshDatabaseUrl } from '../support/database';

let pool: Pool;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await freshDatabaseUrl() });
});
afterAll(() => pool.end());

const T0 = Date.UTC(2030, 0, 1, 9, 0, 0);

async function written(callId: string, dialledAt: number, outcome: string): Promise<void> {
  await pool.query(
    `INSERT INTO attempt (call_id, campaign_id, number_index, attempt, agent_id, outcome, final, dialled_at, ended_at)
     VALUES ($1, 'tl', 0, 1, 'a1', $2, true, $3, $3)`,
    [callId, outcome, new Date(dialledAt)],
  );
}

it('counts written attempts by dial time, adds calls in flight and unwritten ends, and never counts one twice', async () => {
  await written('tl.0.1', T0 + 1_000, 'answered');
  await written('tl.1.1', T0 + 12_000, 'no-answer');
  await written('tl.2.1', T0 - 60_000, 'answered'); // before the window
  const buckets = await attemptBuckets(pool, 'tl', T0, 10, [
    { callId: 'tl.1.1', dialledAt: T0 + 12_000, answered: false }, // written meanwhile: counted once
    { callId: 'tl.3.1', dialledAt: T0 + 15_000, answered: true }, // ended, not written yet
    { callId: null, dialledAt: T0 + 25_000, answered: false }, // in flight
    { callId: null, dialledAt: T0 - 5_000, answered: false }, // before the window
  ]);
  expect(buckets).toEqual([
    { at: T0, placed: 1, answered: 1 },
    { at: T0 + 10_000, placed: 2, answered: 1 },
    { at: T0 + 20_000, placed: 1, answered: 0 },
  ]);
  expect(await attemptBuckets(pool, 'other', T0, 10, [])).toEqual([]);
});
