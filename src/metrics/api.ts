/**
 * The API's series. Labels stay bounded: routes, error codes, outcomes and statuses are fixed sets;
 * campaign ids appear only on the per-campaign agent gauge, never phone numbers or call ids.
 */
import { Counter, Gauge } from 'prom-client';
import { OUTCOMES } from '../shared/types';
import { registry } from './registry';

export const API_PROCESS_PREFIX = 'dialer_api_';

export const WEBHOOK_ROUTES = ['call-status', 'agent-status', 'disposition'] as const;
export type WebhookRoute = (typeof WEBHOOK_ROUTES)[number];

export const webhooksReceived = new Counter({
  name: 'dialer_webhooks_received_total',
  help: 'Webhook deliveries received, accepted or not, by route',
  labelNames: ['route'] as const,
  registers: [registry],
});

export const webhooksRejected = new Counter({
  name: 'dialer_webhooks_rejected_total',
  help: 'Webhook deliveries refused, by route and reason (the error code answered)',
  labelNames: ['route', 'reason'] as const,
  registers: [registry],
});

export const callsEnded = new Counter({
  name: 'dialer_calls_ended_total',
  help: 'Call ends reported by call-status webhooks and handed to the campaign, by outcome (a resent report counts again)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const campaignsByStatus = new Gauge({
  name: 'dialer_campaigns',
  help: 'Campaigns by status, from Temporal visibility (closed ones within the namespace retention)',
  labelNames: ['status'] as const,
  registers: [registry],
});

export const campaignAgents = new Gauge({
  name: 'dialer_campaign_agents',
  help: "Agents of each open campaign by state, from the campaign's progress query (newest campaigns first, capped)",
  labelNames: ['campaign', 'state'] as const,
  registers: [registry],
});

export const resultRowsExported = new Counter({
  name: 'dialer_result_rows_exported_total',
  help: 'Rows written by results.csv exports: it grows as the client reads, since exports are streamed',
  registers: [registry],
});

export const FEEDS = ['campaign', 'campaign-list'] as const;

export const feedPolls = new Counter({
  name: 'dialer_console_feed_polls_total',
  help: "Polls by the console's live feeds: one loop per feed watched, however many pages watch it",
  labelNames: ['feed'] as const,
  registers: [registry],
});

export const eventStreamsOpen = new Gauge({
  name: 'dialer_console_event_streams',
  help: 'Server-Sent Events streams open (console pages), by feed',
  labelNames: ['feed'] as const,
  registers: [registry],
});

// Zero from the start, so rates and alerts work before the first event.
for (const route of WEBHOOK_ROUTES) webhooksReceived.inc({ route }, 0);
for (const outcome of OUTCOMES) callsEnded.inc({ outcome }, 0);
for (const feed of FEEDS) feedPolls.inc({ feed }, 0);
