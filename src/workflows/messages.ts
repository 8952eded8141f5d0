/**
 * The campaign workflow's public surface: its input, signals, updates and queries. Imported by the
 * workflow, the API and the tests, so names cannot drift apart.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AgentStatus,
  AgentTile,
  AttemptOutcome,
  CallStatusReport,
  CampaignProgress,
  CampaignSettings,
  CampaignStatus,
  CampaignTiming,
} from '../shared/types';

export const WORKFLOW_TYPE = 'campaignWorkflow';

/** The numbers are in the database (contact rows of the campaign): the input only counts them. */
export interface CampaignInput {
  campaignId: string;
  name: string;
  /** Numbers imported before the start; those added later are counted by the workflow. */
  total: number;
  /** Absent: every agent the agent system lists when the campaign starts (at most MAX_CAMPAIGN_AGENTS). */
  agentIds?: string[];
  settings: CampaignSettings;
  timing: CampaignTiming;
  createdAt: string;
  /** Continue as new after this many history events (default 3,000), or when Temporal suggests it. */
  continueAsNewAfterEvents?: number;
}

/** An agent status as the workflow receives it: from the webhook, or from a `GET /agents` read. */
export interface AgentStatusSignal {
  agentId: string;
  status: AgentStatus;
  /** Epoch ms of the report (the agent system's timestamp, or when the read was sent). */
  at: number;
}

export const callStatusSignal = defineSignal<[CallStatusReport]>('callStatus');
export const agentStatusSignal = defineSignal<[AgentStatusSignal]>('agentStatus');

export interface ControlResult {
  status: CampaignStatus;
}
export const pauseUpdate = defineUpdate<ControlResult>('pause');
export const resumeUpdate = defineUpdate<ControlResult>('resume');
export const cancelUpdate = defineUpdate<ControlResult>('cancel');

/**
 * Adding numbers: the API reserves the campaign (it cannot complete meanwhile, and one addition runs
 * at a time), writes the numbers to the database, then ends the reservation with the new total.
 */
export const reserveNumbersUpdate = defineUpdate<void, [{ batchKey: string }]>('reserveNumbers');
/** `total`: the campaign's numbers in the database after the addition (null: nothing was added). */
export const addNumbersUpdate = defineUpdate<{ total: number }, [{ batchKey: string; total: number | null }]>('addNumbers');

/** Refusal messages of the update validators; the API maps them to 409. */
export const CAMPAIGN_CLOSED = 'campaign_closed';
export const NUMBERS_BEING_ADDED = 'numbers_being_added';

export const progressQuery = defineQuery<CampaignProgress>('progress');

/** A call in flight, as the per-number results show it before it ends. */
export interface LiveCall {
  numberIndex: number;
  attempt: number;
  agentId: string;
  placedAt: number;
}

/** How one attempt at a number ended: the row the campaign writes to the attempt table. */
export interface AttemptResult {
  callId: string;
  numberIndex: number;
  attempt: number;
  agentId: string;
  outcome: AttemptOutcome;
  /** No attempt follows this one (answered, refused, out of attempts, or cancelled). */
  final: boolean;
  /** Epoch ms when the next attempt falls due; null when final. */
  retryAt: number | null;
  /** The provider's durationSec of an answered call. */
  talkSec: number | null;
  /** Epoch ms: when the call was decided on, and when it ended. */
  dialledAt: number;
  endedAt: number;
  /** This dial was a callback (it does not count against maxAttempts). */
  wasCallback?: boolean;
  /** The next dial, at retryAt, is a callback a disposition asked for: for this agent, or null for anyone. */
  callback?: { agentId: string | null };
}

/** A disposition's callback, as the API hands it to the campaign (the code itself is in the database). */
export interface CallbackSignal {
  callId: string;
  /** Epoch ms. */
  at: number;
  /** The agent to dial it for (sameAgent), or null for anyone. */
  agentId: string | null;
}
export const callbackSignal = defineSignal<[CallbackSignal]>('callback');

/** What the database does not know yet: calls in flight, and ended attempts not yet written. */
export interface NumberActivity {
  status: CampaignStatus;
  live: LiveCall[];
  unsent: AttemptResult[];
}
export const numberActivityQuery = defineQuery<NumberActivity>('numberActivity');

/** Asked of a campaign holding a claim another campaign wants: is that agent on one of its calls? */
export const agentOnCallQuery = defineQuery<boolean, [string]>('agentOnCall');

/** The campaign's agents one by one, for the console's tiles. */
export const agentTilesQuery = defineQuery<AgentTile[]>('agentTiles');
