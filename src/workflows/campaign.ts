/**
 * One workflow per batch. It feeds signals, activity results and timer firings to the reducer and
 * runs the commands it returns; everything it decides is in the reducer, every number in the database.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { makeCallId } from '../shared/callId';
import type { CampaignProgress } from '../shared/types';
import { carriedBytes, carryBound, type CarriedState, packState, unpackState } from './carry';
import { commandRunner } from './commands';
import { setCampaignHandlers } from './handlers';
import type { CampaignInput } from './messages';
import { currentDetails, progressOf } from './progress';
import { type CampaignEvent, nextWakeAt, reduce } from './reducer';
import { campaignAgentsKey, campaignAgentsValue, campaignStatusKey } from './searchAttributes';
import { type CampaignState, initialState, isClosed } from './state';

export async function campaignWorkflow(input: CampaignInput, carried?: CarriedState): Promise<CampaignProgress> {
  const { campaignId } = input;
  const state = carried
    ? unpackState(carried, (numberIndex, attempt) => makeCallId({ campaignId, numberIndex, attempt }))
    : initialState(input, Date.now());
  const publish = publisher(state, carried !== undefined || input.agentIds !== undefined);
  let draining = false;
  const runner = commandRunner(step);
  function step(event: CampaignEvent): void {
    for (const command of reduce(state, event, { now: Date.now(), startWork: !draining })) runner.run(command);
    publish();
  }
  setCampaignHandlers(state, step);

  step({ type: 'tick' });
  while (!isClosed(state)) {
    if (shouldContinueAsNew(input)) {
      // Activities cannot cross runs; calls can: drain the first, carry the second in the state.
      draining = true;
      await condition(() => isClosed(state) || (runner.idle() && allHandlersFinished()));
      if (isClosed(state)) break;
      await continueAsNew<typeof campaignWorkflow>(input, carryWithinBound(state));
    }
    // Sleep until the next planned work, waking early when the plan changes or the run must hand over.
    const wakeAt = nextWakeAt(state, Date.now());
    const changed = (): boolean => isClosed(state) || shouldContinueAsNew(input) || nextWakeAt(state, Date.now()) !== wakeAt;
    await (wakeAt === null ? condition(changed) : condition(changed, Math.max(1, wakeAt - Date.now())));
    step({ type: 'tick' });
  }

  // The last results and the final status are written before the campaign reports its end.
  await condition(() => runner.idle() && allHandlersFinished());
  log.info('campaign ended', { campaignId, status: state.status, finished: state.finished });
  if (state.status === 'failed') {
    throw ApplicationFailure.create({ message: state.failureReason ?? 'campaign failed', nonRetryable: true });
  }
  return progressOf(state, workflowInfo().workflowId, Date.now());
}

/** Keeps the search attributes operators filter on, and the UI's current details, in step with the state. */
function publisher(state: CampaignState, agentsPublished: boolean): () => void {
  // The API publishes both attributes when it starts the campaign (the agents when it names them).
  let publishedStatus = state.status;
  return () => {
    // Held in memory and read through the metadata query: no history event, no command.
    setCurrentDetails(currentDetails(progressOf(state, workflowInfo().workflowId, Date.now())));
    if (state.status !== publishedStatus) {
      publishedStatus = state.status;
      upsertSearchAttributes([{ key: campaignStatusKey, value: state.status }]);
      log.info('campaign status changed', { campaignId: state.campaignId, status: state.status });
    }
    if (!agentsPublished && state.agentIds !== null) {
      agentsPublished = true;
      upsertSearchAttributes([{ key: campaignAgentsKey, value: campaignAgentsValue(state.agentIds) }]);
    }
  };
}

/** The state to hand over, checked against its bound: a state that outgrew it is a defect, never carried silently. */
function carryWithinBound(state: CampaignState): CarriedState {
  const carried = packState(state);
  const bytes = carriedBytes(carried);
  const bound = carryBound(state.agentIds?.length ?? 0);
  if (bytes > bound) {
    log.error('carried state over its bound', { campaignId: state.campaignId, bytes, bound });
    throw ApplicationFailure.create({
      message: `campaign state of ${bytes} bytes is over its bound of ${bound} bytes: not continued as new`,
      type: 'CarriedStateTooLarge',
      nonRetryable: true,
    });
  }
  return carried;
}

/**
 * Well before Temporal's suggestion (4,096 events or 4 MiB), so that a run drains its activities
 * and hands over still under it, and the replay after a failed hand-over task stays short.
 */
const RUN_EVENTS = 3_000;
const RUN_BYTES = 2 * 1024 * 1024;

function shouldContinueAsNew(input: CampaignInput): boolean {
  const info = workflowInfo();
  const limit = input.continueAsNewAfterEvents ?? RUN_EVENTS;
  return info.continueAsNewSuggested || info.historyLength >= limit || info.historySize >= RUN_BYTES;
}
