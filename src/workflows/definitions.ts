/**
 * The campaign workflow's public surface: its input, signals, updates, query and search attributes.
 * Imported by the workflow, the API and the tests, so names cannot drift apart.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AgentStatus,
  CallStatusReport,
  CampaignProgress,
  CampaignSettings,
  CampaignStatus,
  CampaignTiming,
  Outcome,
} from '../shared/types';
import { containsPhoneNumber } from '../shared/mask';
import type { AgentClaim, ClaimReply, ClaimRequest } from './agentClaims';

export const WORKFLOW_TYPE = 'campaignWorkflow';

export interface CampaignInput {
  campaignId: string;
  name: string;
  /** The batch, held in number-chunk workflows (see NumberChunk) so that no run of the campaign carries it. */
  chunks?: NumberChunks;
  /** Inline batches of campaigns started before number chunks existed: E.164, by number index. */
  numbers?: string[];
  /** Extra CSV columns, by number index, of inline batches. */
  contacts?: Array<Record<string, string>>;
  /** Absent: every agent the agent system lists when the campaign starts. */
  agentIds?: string[];
  settings: CampaignSettings;
  timing: CampaignTiming;
  createdAt: string;
  /** Continue as new after this many history events (default 3,000), or when Temporal suggests it. */
  continueAsNewAfterEvents?: number;
}

/**
 * A slice of a campaign's batch: numbers [first, first + numbers.length), E.164, normalised and
 * de-duplicated by the API, with the extra CSV columns of each. Held, each in its own small
 * workflow, so that a batch of any size never makes a large payload nor a large campaign history.
 */
export interface NumberChunk {
  campaignId: string;
  first: number;
  numbers: string[];
  contacts?: Array<Record<string, string>>;
}

/**
 * `total` numbers from index `first` (0 when absent: the batch the campaign started with), chunk k
 * holding [first + k * perChunk, first + (k + 1) * perChunk); `batchKey` is unique per request.
 */
export interface NumberChunks {
  first?: number;
  total: number;
  perChunk: number;
  batchKey: string;
}

export const NUMBERS_WORKFLOW_TYPE = 'campaignNumbersWorkflow';
/** 5,000 E.164 numbers are about 85 KB of JSON: far under the 512 KiB a payload may take. */
export const NUMBERS_PER_CHUNK = 5_000;

/**
 * `.` never appears in a campaign id, so these ids cannot clash with a campaign's own; the batch key
 * keeps the chunks of two requests for one campaign id apart (only one of them can start it).
 */
export function numbersWorkflowId(campaignId: string, chunks: NumberChunks, numberIndex: number): string {
  const k = Math.floor((numberIndex - (chunks.first ?? 0)) / chunks.perChunk);
  return `campaign-numbers-${campaignId}.${chunks.batchKey}.${k}`;
}

/** Every chunk workflow id of the batches, in number order. */
export function chunkWorkflowIdsOf(campaignId: string, batches: readonly NumberChunks[]): string[] {
  return batches.flatMap((chunks) =>
    Array.from({ length: Math.ceil(chunks.total / chunks.perChunk) }, (_, k) =>
      numbersWorkflowId(campaignId, chunks, (chunks.first ?? 0) + k * chunks.perChunk),
    ),
  );
}

/** The batch holding a number: batches are contiguous and in order, so the last one starting at or before it. */
export function batchHolding(batches: readonly NumberChunks[], numberIndex: number): NumberChunks | undefined {
  for (let i = batches.length - 1; i >= 0; i--) {
    const batch = batches[i]!;
    const first = batch.first ?? 0;
    if (numberIndex >= first) return numberIndex < first + batch.total ? batch : undefined;
  }
  return undefined;
}

export const numberChunkQuery = defineQuery<NumberChunk>('numberChunk');
/** The campaign has ended: the chunk's numbers are needed no more. */
export const releaseNumbersSignal = defineSignal('releaseNumbers');

/** How one attempt at a number ended, as the campaign reports it to the number's chunk. */
export interface AttemptResult {
  numberIndex: number;
  attempt: number;
  agentId: string;
  outcome: Outcome;
  /** No attempt follows this one (answered, refused, or out of attempts). */
  final: boolean;
  /** The provider's durationSec of an answered call. */
  talkSec: number | null;
  /** Epoch ms: when the call was decided on, and when it ended. */
  dialledAt: number;
  endedAt: number;
}

/** A number's results so far, as its chunk keeps them. */
export interface NumberRecord {
  attempts: number;
  lastOutcome: Outcome;
  final: boolean;
  agentId: string;
  talkSec: number | null;
  firstDialledAt: number;
  lastDialledAt: number;
  endedAt: number;
}

export const recordResultsSignal = defineSignal<[AttemptResult[]]>('recordResults');

export interface ChunkPageRequest {
  /** Number index to start at, within the chunk. */
  from: number;
  count: number;
}
export interface ChunkRow {
  index: number;
  number: string;
  contact?: Record<string, string>;
  record?: NumberRecord;
}
export interface ChunkPage {
  first: number;
  size: number;
  /** Names of the extra CSV columns the chunk's contacts carry. */
  columns: string[];
  rows: ChunkRow[];
}
export const chunkPageQuery = defineQuery<ChunkPage, [ChunkPageRequest]>('chunkPage');

/** A call in flight, as the results of its number show it before it ends. */
export interface LiveCall {
  numberIndex: number;
  attempt: number;
  agentId: string;
  placedAt: number;
}

/** Where a campaign's numbers are, and what the chunks do not know yet. */
export interface NumberActivity {
  status: CampaignStatus;
  closed: boolean;
  total: number;
  /** Empty for campaigns started before number chunks (their numbers are in the input). */
  batches: NumberChunks[];
  live: LiveCall[];
  /** Results not yet sent to the chunks (they are sent in batches). */
  unsent: AttemptResult[];
}
export const numberActivityQuery = defineQuery<NumberActivity>('numberActivity');

/** A reservation of the next number indices for numbers being added: one addition at a time. */
export interface NumbersReserved {
  first: number;
  /** The campaign's batches so far: the API checks the new numbers against them. */
  batches: NumberChunks[];
}
export const reserveNumbersUpdate = defineUpdate<NumbersReserved, [{ batchKey: string }]>('reserveNumbers');
/** Ends a reservation: with the batch started for it (its chunks running), or with none to give up. */
export const addNumbersUpdate = defineUpdate<{ total: number }, [{ batchKey: string; batch: NumberChunks | null }]>(
  'addNumbers',
);
/** Refusal messages of the reservation's validators; the API maps them to 409. */
export const NUMBERS_BEING_ADDED = 'numbers_being_added';
export const NUMBERS_NOT_ADDABLE = 'numbers_not_addable';

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

export const progressQuery = defineQuery<CampaignProgress>('progress');

export const campaignStatusKey = defineSearchAttributeKey('CampaignStatus', SearchAttributeType.KEYWORD);
/** Lets the agent-status webhook find the running campaigns that include an agent. */
export const campaignAgentsKey = defineSearchAttributeKey('CampaignAgents', SearchAttributeType.KEYWORD_LIST);

/** The CampaignAgents value meaning "any agent", for agent lists too long for a search attribute. */
export const ANY_AGENT = '*';
/** Temporal refuses a search attribute value over 2 KB of JSON; keep clear of it. */
const MAX_AGENTS_ATTRIBUTE_BYTES = 1900;

/** The agent ids to publish, or ANY_AGENT when they are too long or one looks like a phone number. */
export function campaignAgentsValue(agentIds: readonly string[]): string[] {
  const bytes = new TextEncoder().encode(JSON.stringify(agentIds)).length;
  // Ids listed by the agent system are not checked by the API: keep numbers out of visibility anyway.
  return bytes <= MAX_AGENTS_ATTRIBUTE_BYTES && !agentIds.some(containsPhoneNumber) ? [...agentIds] : [ANY_AGENT];
}

/** What the dev server and a production cluster must register (`temporal --search-attribute` form). */
export const SEARCH_ATTRIBUTE_REGISTRATIONS = ['CampaignStatus=Keyword', 'CampaignAgents=KeywordList'];

/** Message of the update validators' rejection when a campaign has ended; the API maps it to 409. */
export const CAMPAIGN_CLOSED = 'campaign_closed';

/** The agent-claim workflow of an agent on a task queue: which call holds the agent, across campaigns. */
export const AGENT_CLAIM_WORKFLOW_TYPE = 'agentClaimWorkflow';
export const claimAgentUpdate = defineUpdate<ClaimReply, [ClaimRequest]>('claimAgent');
export const agentClaimQuery = defineQuery<AgentClaim | null>('agentClaim');
/** Asked of a campaign holding a claim another campaign wants: is that agent on one of its calls? */
export const agentOnCallQuery = defineQuery<boolean, [string]>('agentOnCall');
