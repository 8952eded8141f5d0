/**
 * Imports a campaign straight into a test dialer's database, as POST /campaigns would, for tests that
 * start the workflow themselves with inputs the API does not expose (continueAsNewAfterEvents).
 */
import { completeImport, insertCampaign, markStarted } from '../../src/db/campaigns';
import { insertStaged, stageNumbers } from '../../src/db/contacts';
import { inTransaction, type Pool } from '../../src/db/database';
import type { CampaignInput } from '../../src/workflows/messages';
import { workflowIdFor } from '../../src/shared/callId';

export async function seedCampaign(pool: Pool, input: CampaignInput, numbers: readonly string[]): Promise<void> {
  const now = new Date(input.createdAt);
  await inTransaction(pool, async (db) => {
    const summary = { accepted: numbers.length, duplicates: 0, rejected: [] };
    const row = { campaignId: input.campaignId, name: input.name, workflowId: workflowIdFor(input.campaignId) };
    await insertCampaign(db, { ...row, requestHash: '', input, summary, createdAt: now });
    await stageNumbers(db, (async function* staged() {
      // No zones: these campaigns keep no calling hours, as before the rules existed.
      for (const [index, phone] of numbers.entries()) yield { index, phone, zones: [] };
    })());
    const { inserted } = await insertStaged(db, input.campaignId, 0, now);
    await completeImport(db, input.campaignId, { total: inserted, columns: [] });
  });
  await markStarted(pool, input.campaignId);
}
