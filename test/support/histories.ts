/**
 * Recorded histories of real campaigns, replayed by test/replay.test.ts so that a change to the
 * workflow that would break running campaigns fails the suite. Recorded with `npm run record:histories`.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { runsOf } from './temporal';

export const HISTORIES_DIR = path.resolve(__dirname, '../histories');

/** Saves every run of the workflow when RECORD_HISTORIES is set; otherwise does nothing. */
export async function recordHistories(client: Client, workflowId: string, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  mkdirSync(HISTORIES_DIR, { recursive: true });
  let run = 0;
  for (const execution of await runsOf(client, workflowId)) {
    const history = await client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
    writeFileSync(path.join(HISTORIES_DIR, `${name}.run${run++}.json`), historyToJSON(history));
  }
}

export function loadHistories(): Array<{ workflowId: string; history: History }> {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ workflowId: f, history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, f), 'utf8'))) }));
}
