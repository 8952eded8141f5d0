/** The campaign's search attributes: what operators filter on in the Temporal UI, and what the agent webhook finds campaigns by. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { containsPhoneNumber } from '../shared/mask';

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

/** A search attribute the namespace must have: its name, its type for the server's API and for the CLI. */
export interface RequiredSearchAttribute {
  name: string;
  indexedType: 'INDEXED_VALUE_TYPE_KEYWORD' | 'INDEXED_VALUE_TYPE_KEYWORD_LIST';
  cliType: 'Keyword' | 'KeywordList';
}

export const REQUIRED_SEARCH_ATTRIBUTES: readonly RequiredSearchAttribute[] = [
  { name: campaignStatusKey.name, indexedType: 'INDEXED_VALUE_TYPE_KEYWORD', cliType: 'Keyword' },
  { name: campaignAgentsKey.name, indexedType: 'INDEXED_VALUE_TYPE_KEYWORD_LIST', cliType: 'KeywordList' },
];

/** What the dev server and a production cluster must register (`temporal --search-attribute` form). */
export const SEARCH_ATTRIBUTE_REGISTRATIONS = REQUIRED_SEARCH_ATTRIBUTES.map((a) => `${a.name}=${a.cliType}`);
