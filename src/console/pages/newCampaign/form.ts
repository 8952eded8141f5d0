/**
 * The new-campaign form as text, and the query parameters of POST /campaigns (CSV form) it makes.
 * Empty fields are left out (the server's defaults apply); text that is no number is sent as it
 * is, so that the server names the field and says what it expects.
 */
import { WEEKDAYS, type Weekday } from '../../../shared/types';

export const RETRY_OUTCOMES = ['no-answer', 'busy', 'failed', 'canceled'] as const;
export type RetryOutcome = (typeof RETRY_OUTCOMES)[number];

export interface CampaignForm {
  name: string;
  campaignId: string;
  agentIds: string;
  defaultRegion: string;
  maxAttempts: string;
  retryDelaySec: string;
  maxConcurrentCalls: string;
  hoursStart: string;
  hoursEnd: string;
  days: Weekday[];
  timeZone: string;
  retry: Record<RetryOutcome, { maxAttempts: string; delaySec: string }>;
  capCalls: string;
  capPerHours: string;
}

export const EMPTY_FORM: CampaignForm = {
  name: '',
  campaignId: '',
  agentIds: '',
  defaultRegion: '',
  maxAttempts: '1',
  retryDelaySec: '300',
  maxConcurrentCalls: '',
  hoursStart: '',
  hoursEnd: '',
  days: [...WEEKDAYS],
  timeZone: '',
  retry: Object.fromEntries(RETRY_OUTCOMES.map((o) => [o, { maxAttempts: '', delaySec: '' }])) as CampaignForm['retry'],
  capCalls: '',
  capPerHours: '',
};

/** Where the API's field messages go: inputs, and groups for messages about several inputs. */
export const FORM_TARGETS = [
  'name',
  'campaignId',
  'agentIds',
  'defaultRegion',
  'maxAttempts',
  'retryDelaySec',
  'maxConcurrentCalls',
  'callingHours',
  'callingHours.start',
  'callingHours.end',
  'callingDays',
  'timeZone',
  'retry',
  ...RETRY_OUTCOMES.flatMap((o) => [`retry.${o}.maxAttempts`, `retry.${o}.delaySec`]),
  'frequencyCap',
  'frequencyCap.calls',
  'frequencyCap.perHours',
] as const;

/** A number when the text is one; the text itself otherwise (the server explains what it expects). */
const numberOr = (text: string): number | string => (/^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text);

function retryRules(form: CampaignForm): Record<string, Record<string, number | string>> {
  const rules: Record<string, Record<string, number | string>> = {};
  for (const outcome of RETRY_OUTCOMES) {
    const { maxAttempts, delaySec } = form.retry[outcome];
    const rule: Record<string, number | string> = {};
    if (maxAttempts.trim() !== '') rule.maxAttempts = numberOr(maxAttempts.trim());
    if (delaySec.trim() !== '') rule.delaySec = numberOr(delaySec.trim());
    if (Object.keys(rule).length > 0) rules[outcome] = rule;
  }
  return rules;
}

export function campaignQuery(form: CampaignForm): URLSearchParams {
  const query = new URLSearchParams();
  const put = (key: string, value: string) => {
    if (value.trim() !== '') query.set(key, value.trim());
  };
  put('name', form.name);
  put('campaignId', form.campaignId);
  put('agentIds', form.agentIds.split(/[\s,]+/).filter((id) => id !== '').join(','));
  put('defaultRegion', form.defaultRegion);
  put('maxAttempts', form.maxAttempts);
  put('retryDelaySec', form.retryDelaySec);
  put('maxConcurrentCalls', form.maxConcurrentCalls);
  if (form.hoursStart.trim() !== '' || form.hoursEnd.trim() !== '') query.set('callingHours', `${form.hoursStart.trim()}-${form.hoursEnd.trim()}`);
  // Every day is the server's default; fewer are sent, none too (the server says why that cannot be).
  if (form.days.length < WEEKDAYS.length) query.set('callingDays', WEEKDAYS.filter((d) => form.days.includes(d)).join(','));
  put('timeZone', form.timeZone);
  const retry = retryRules(form);
  if (Object.keys(retry).length > 0) query.set('retry', JSON.stringify(retry));
  if (form.capCalls.trim() !== '' || form.capPerHours.trim() !== '') {
    query.set('frequencyCap', JSON.stringify({ calls: numberOr(form.capCalls.trim()), perHours: numberOr(form.capPerHours.trim()) }));
  }
  return query;
}

/** The settings that decide which numbers are refused: the dry run runs again when one changes. */
export const VALIDATION_FIELDS: ReadonlyArray<keyof CampaignForm> = ['defaultRegion', 'timeZone', 'hoursStart', 'hoursEnd', 'days'];

/** What each part of the form gets: the values, the API's messages by target, and the way to change a value. */
export interface FormPartProps {
  form: CampaignForm;
  errors: Record<string, string[]>;
  /** Changes the values and clears the messages of the targets named. */
  update(patch: Partial<CampaignForm>, ...targets: string[]): void;
}
