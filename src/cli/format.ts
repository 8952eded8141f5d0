/** Human-readable output of each command; `--json` prints the API's replies instead. */
import { OUTCOMES, type AgentCounts, type CampaignProgress, type OutcomeCounts } from '../shared/types';
import type { CampaignCreatedReply, CampaignListItem } from './client';


/** Enough rejected rows to see what went wrong without flooding the terminal. */
export const REJECTED_SHOWN = 5;

export function formatCreated(reply: CampaignCreatedReply): string {
  const lines = [
    `Campaign ${reply.campaignId} started (workflow ${reply.workflowId})`,
    `  accepted ${reply.accepted}, duplicates ${reply.duplicates}, rejected ${reply.rejected.length}`,
  ];
  for (const r of reply.rejected.slice(0, REJECTED_SHOWN)) {
    // `index` counts data rows from 0; people count CSV rows from 1 after the header.
    lines.push(`  data row ${r.index + 1}: ${JSON.stringify(r.value)} ${r.reason}`);
  }
  if (reply.rejected.length > REJECTED_SHOWN) {
    lines.push(`  … and ${reply.rejected.length - REJECTED_SHOWN} more rejected (use --json to see all)`);
  }
  return lines.join('\n');
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
