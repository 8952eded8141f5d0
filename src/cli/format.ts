/** Human-readable output of each command; `--json` prints the API's replies instead. */
import { OUTCOMES, type AgentCounts, type CampaignProgress, type OutcomeCounts } from '../shared/types';
import type { CallResult, CampaignCreatedReply, CampaignListItem, NumbersAddedReply, RejectedRow } from './client';

/** Enough rejected rows to see what went wrong without flooding the terminal. */
export const REJECTED_SHOWN = 5;

export function formatCreated(reply: CampaignCreatedReply): string {
  return [
    `Campaign ${reply.campaignId} started (workflow ${reply.workflowId})`,
    `  accepted ${reply.accepted}, duplicates ${reply.duplicates}, rejected ${reply.rejected.length}`,
    ...rejectedLines(reply.rejected),
  ].join('\n');
}

export function formatAdded(reply: NumbersAddedReply): string {
  return [
    `Campaign ${reply.campaignId}: ${reply.accepted} numbers added, ${reply.total} in the campaign now`,
    `  accepted ${reply.accepted}, duplicates ${reply.duplicates}, ` +
      `already in the campaign ${reply.alreadyInCampaign.length} (not dialled again), rejected ${reply.rejected.length}`,
    ...rowLines(reply.alreadyInCampaign, () => 'already in the campaign', 'already in the campaign'),
    ...rejectedLines(reply.rejected),
  ].join('\n');
}

/** The first rejected rows with their reason; also used for the rows of a `no_valid_numbers` refusal. */
export function rejectedLines(rejected: RejectedRow[]): string[] {
  return rowLines(rejected, (r) => r.reason, 'rejected');
}

/** Up to REJECTED_SHOWN rows of a CSV upload, each with what happened to it. */
function rowLines<R extends { index: number; value: string }>(rows: R[], what: (row: R) => string, noun: string): string[] {
  // `index` counts data rows from 0; people count CSV rows from 1 after the header.
  const lines = rows.slice(0, REJECTED_SHOWN).map((r) => `  data row ${r.index + 1}: ${JSON.stringify(r.value)} ${what(r)}`);
  if (rows.length > REJECTED_SHOWN) lines.push(`  … and ${rows.length - REJECTED_SHOWN} more ${noun} (use --json to see all)`);
  return lines;
}

export function formatList(items: CampaignListItem[]): string {
  if (items.length === 0) return 'No campaigns.';
  const header = { campaignId: 'ID', status: 'STATUS', name: 'NAME' };
  const rows = [header, ...items];
  const idWidth = Math.max(...rows.map((r) => r.campaignId.length));
  const statusWidth = Math.max(...rows.map((r) => r.status.length));
  return rows.map((r) => `${r.campaignId.padEnd(idWidth)}  ${r.status.padEnd(statusWidth)}  ${r.name}`).join('\n');
}

export function formatOutcomes(outcomes: OutcomeCounts): string {
  return OUTCOMES.map((o) => `${o} ${outcomes[o]}`).join(', ');
}

const AGENT_LABELS: Record<keyof AgentCounts, string> = { idle: 'idle', onCall: 'on call', busy: 'busy', offline: 'offline' };

export function formatAgents(agents: AgentCounts): string {
  return (Object.keys(AGENT_LABELS) as Array<keyof AgentCounts>).map((k) => `${AGENT_LABELS[k]} ${agents[k]}`).join(', ');
}

export function formatProgress(p: CampaignProgress): string {
  return [
    `Campaign ${p.campaignId}: ${p.status}${p.name ? ` (${p.name})` : ''}`,
    `  numbers   ${p.finished}/${p.total} finished, ${p.inFlight} in flight, ${p.pending} pending`,
    `  outcomes  ${formatOutcomes(p.outcomes)}`,
    `  agents    ${formatAgents(p.agents)}`,
    `  created   ${p.createdAt}`,
    `  ended     ${p.completedAt ?? '-'}`,
  ].join('\n');
}

/** Fixed column widths, since `results` prints each page as it arrives; the agent id, of any length, comes last. */
const RESULT_COLUMNS: Array<[title: string, width: number, cell: (c: CallResult) => string]> = [
  ['NUMBER', 16, (c) => c.number],
  ['STATUS', 9, (c) => c.status],
  ['ATTEMPTS', 8, (c) => String(c.attempts)],
  ['OUTCOME', 9, (c) => c.lastOutcome ?? '-'],
  ['TALK', 6, (c) => (c.talkSec === null ? '-' : `${c.talkSec}s`)],
  ['LAST DIALLED', 20, (c) => shortTime(c.lastDialledAt)],
  ['AGENT', 0, (c) => c.agentId ?? '-'],
];

export const RESULTS_HEADER = RESULT_COLUMNS.map(([title, width]) => title.padEnd(width)).join('  ');

export function formatResultRow(call: CallResult): string {
  return RESULT_COLUMNS.map(([, width, cell]) => cell(call).padEnd(width)).join('  ');
}

/** `2026-11-24T10:00:03.123Z` → `2026-11-24T10:00:03Z`: the milliseconds only widen the table. */
function shortTime(iso: string | null): string {
  return iso === null ? '-' : iso.replace(/\.\d+Z$/, 'Z');
}
