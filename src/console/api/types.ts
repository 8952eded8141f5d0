/**
 * The shapes of the API's replies the console reads (src/api/*, src/db/dnc.ts, src/db/audit.ts).
 * Written out here because those modules are Node code: only src/shared/types is imported, type-only.
 */
import type { AgentTile, CampaignStatus, Outcome, OutcomeCounts } from '../../shared/types';

export interface ConsoleConfig {
  authRequired: boolean;
  namespace: string;
  temporalUiUrl: string | null;
}

/** `{"error": {...}}`, every error's body; `invalid_request` lists its fields. */
export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

export interface FieldProblem {
  field: string;
  message: string;
}

export interface RejectedNumber {
  index: number;
  value: string;
  reason: string;
}

/** POST /campaigns (201). */
export interface ImportReply {
  campaignId: string;
  accepted: number;
  duplicates: number;
  rejected: RejectedNumber[];
}

/** POST /campaigns?dryRun=true (200): the same counts; no id when the API would make one up. */
export interface DryRunReply extends Omit<ImportReply, 'campaignId'> {
  dryRun: true;
  campaignId: string | null;
}

/** POST /campaigns/:id/numbers */
export interface NumbersAddedReply extends ImportReply {
  alreadyInCampaign: Array<{ index: number; value: string }>;
  total: number;
}

/** One row of the `campaigns` event. */
export interface CampaignRow {
  campaignId: string;
  name: string;
  status: CampaignStatus;
  workflowId: string;
  total: number;
  finished: number;
  pending: number;
  inFlight: number;
  outcomes: OutcomeCounts;
  answerRate: number | null;
  createdAt: string;
  completedAt: string | null;
}

/** A live stream's failed read; after `campaign_not_found` the server ends the stream. */
export interface ProblemEvent {
  error: { code: string; message: string };
}

export interface AgentsEvent {
  agents: AgentTile[];
}

export interface TimelinePoint {
  /** Epoch ms of the bucket's start. */
  at: number;
  placed: number;
  answered: number;
  busyShare: number | null;
}

export interface TimelineEvent {
  bucketSec: number;
  points: TimelinePoint[];
}

export type NumberStatus = 'pending' | 'in-flight' | 'finished';

/** A row of GET /campaigns/:id/calls (src/api/numberResults.ts). */
export interface NumberResult {
  index: number;
  number: string;
  status: NumberStatus;
  attempts: number;
  lastOutcome: Outcome | null;
  agentId: string | null;
  talkSec: number | null;
  disposition: string | null;
  firstDialledAt: string | null;
  lastDialledAt: string | null;
  endedAt: string | null;
  contact?: Record<string, string>;
}

export interface CallsPage {
  campaignId: string;
  calls: NumberResult[];
  nextCursor: string | null;
}

/** GET /campaigns/:id/numbers/:phone (src/db/audit.ts). */
export interface NumberAudit {
  campaignId: string;
  phone: string;
  index: number;
  timeZones: string[];
  state: 'queued' | 'leased' | 'finished';
  dueAt: string | null;
  attempts: Array<{
    callId: string;
    attempt: number;
    agentId: string;
    outcome: string;
    dialledAt: string;
    endedAt: string;
    talkSec: number | null;
    disposition: { code: string; note: string | null; callbackAt: string | null; sameAgent: boolean } | null;
  }>;
  holds: Array<{ reason: 'outside_hours' | 'frequency_cap' | 'do_not_call'; at: string; until: string | null }>;
  doNotCall: { reason: string | null; addedAt: string } | null;
}

export interface DncEntry {
  phone: string;
  reason: string | null;
  addedAt: string;
}

export interface DncPage {
  entries: DncEntry[];
  nextCursor: string | null;
}

/** POST /dnc: `already` counts numbers listed before, or repeated in the request. */
export interface DncAddedReply {
  added: number;
  already: number;
  rejected: RejectedNumber[];
}
