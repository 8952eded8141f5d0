/**
 * One workflow per batch. It feeds signals, activity results and timer firings to the reducer and
 * runs the commands it returns; everything it decides is in the reducer.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DialerActivities, PlaceCallResult } from '../activities/types';
import type { CampaignProgress } from '../shared/types';
import {
  addNumbersUpdate,
  agentOnCallQuery,
  agentStatusSignal,
  callStatusSignal,
  CAMPAIGN_CLOSED,
  type CampaignInput,
  campaignAgentsKey,
  campaignAgentsValue,
  campaignStatusKey,
  cancelUpdate,
  chunkWorkflowIdsOf,
  type NumberChunks,
  numberActivityQuery,
  NUMBERS_BEING_ADDED,
  NUMBERS_NOT_ADDABLE,
  pauseUpdate,
  progressQuery,
  recordResultsSignal,
  releaseNumbersSignal,
  reserveNumbersUpdate,
  resumeUpdate,
} from './definitions';
import { numberActivityOf, progressOf } from './progress';
import {
  additionRefusal,
  type CampaignEvent,
  type Command,
  controlRefusal,
  nextWakeAt,
  reduce,
  type ReduceContext,
} from './reducer';
import { agentOnCall, type CampaignState, initialState, isClosed, numberBatches } from './state';

// The key is the callId, so every retry re-sends the same Idempotency-Key and never makes a second call.
// After ~5 minutes of failures the workflow asks the provider whether the call exists instead.
const { placeCall } = proxyActivities<DialerActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 12 },
});

const { getCallStatus, listAgents } = proxyActivities<DialerActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '5 seconds', maximumAttempts: 3 },
});

export async function campaignWorkflow(input: CampaignInput, carried?: CampaignState): Promise<CampaignProgress> {
  let state: CampaignState = carried ?? initialState({ ...input, total: totalOf(input) });
  const { chunks } = input;
  const numbers: ReduceContext['numbers'] = chunks ? { chunks } : { inline: input.numbers ?? [] };
  // Runs recorded before per-number results were kept send none, so that they replay unchanged.
  const recordResults = chunks !== undefined && patched('per-number-results');
  let draining = false;
  let activitiesInFlight = 0;
  let sendsInFlight = 0;
  let publishedStatus = carried ? state.status : 'running';
  // The API publishes both attributes when it starts the campaign.
  let publishedAgents = carried ? state.agentIds : (input.agentIds ?? null);

  function step(event: CampaignEvent): void {
    const result = reduce(state, event, { now: Date.now(), numbers, startWork: !draining, recordResults });
    state = result.state;
    for (const command of result.commands) run(command);
    publish();
  }

  function run(command: Command): void {
    switch (command.type) {
      case 'placeCall': {
        const { callId } = command.input;
        return track(placeCall(command.input), (result) => placementEvent(callId, result), {
          type: 'callUnconfirmed',
          callId,
        });
      }
      case 'lookupCall': {
        const { callId, locate } = command;
        return track(getCallStatus(callId, locate), (lookup) => ({ type: 'callLookedUp', callId, lookup }), {
          type: 'callLookupFailed',
          callId,
        });
      }
      case 'listAgents':
        return track(listAgents(), (listing) => ({ type: 'agentsListed', listing }), { type: 'agentsListFailed' });
      case 'recordResults': {
        const { chunkWorkflowId, results } = command;
        sendsInFlight++;
        void getExternalWorkflowHandle(chunkWorkflowId)
          .signal(recordResultsSignal, results)
          // A chunk ended from outside keeps no results: the campaign's counts still have them.
          .catch(() => log.warn('results not recorded: chunk gone', { chunkWorkflowId, count: results.length }))
          .finally(() => sendsInFlight--);
        return;
      }
    }
  }

  /** Feeds an activity's outcome back as an event; a failure after all retries is an event too. */
  function track<T>(activity: Promise<T>, onResult: (result: T) => CampaignEvent, onFailure: CampaignEvent): void {
    activitiesInFlight++;
    void activity.then(onResult, () => onFailure).then((event) => {
      activitiesInFlight--;
      step(event);
    });
  }

  /** Keeps the search attributes operators filter on, and the UI's current details, in step with the state. */
  function publish(): void {
    // Held in memory and read through the metadata query: no history event, no command.
    setCurrentDetails(currentDetails(progressOf(state, workflowInfo().workflowId)));
    if (state.status !== publishedStatus) {
      publishedStatus = state.status;
      upsertSearchAttributes([{ key: campaignStatusKey, value: state.status }]);
      log.info('campaign status changed', { campaignId: state.campaignId, status: state.status });
    }
    if (state.agentIds !== null && JSON.stringify(state.agentIds) !== JSON.stringify(publishedAgents)) {
      publishedAgents = state.agentIds;
      upsertSearchAttributes([{ key: campaignAgentsKey, value: campaignAgentsValue(state.agentIds) }]);
    }
  }

  setHandler(callStatusSignal, (report) =>
    step({
      type: 'callStatus',
      callId: report.callId,
      status: report.status,
      at: report.timestamp === undefined ? undefined : Date.parse(report.timestamp),
      ...(report.durationSec == null ? {} : { durationSec: report.durationSec }),
    }),
  );
  setHandler(agentStatusSignal, (report) => step({ type: 'agentStatus', ...report }));
  setHandler(progressQuery, () => progressOf(state, workflowInfo().workflowId), {
    description: 'The campaign as GET /campaigns/:id shows it: counts by state and outcome, agents by state. No arguments.',
  });
  setHandler(agentOnCallQuery, (agentId) => agentOnCall(state, agentId), {
    description: 'Whether one of this campaign\'s calls holds the agent. Argument: the agent id.',
  });
  setHandler(numberActivityQuery, () => numberActivityOf(state, batchesOf(input, state)), {
    description: 'Where the numbers are (chunk batches), calls in flight and results not yet sent to the chunks. No arguments.',
  });

  // Adding numbers: reserve the next indices, start their chunks (the API), then add them.
  // To reserve, no reservation may be held; to add, the caller's must be.
  const additionValidator = ({ batchKey }: { batchKey: string }, reserving: boolean): void => {
    if (!chunks) throw new Error(NUMBERS_NOT_ADDABLE);
    const refusal = additionRefusal(state, Date.now(), reserving ? undefined : batchKey);
    if (refusal) throw new Error(refusal === 'closed' ? CAMPAIGN_CLOSED : NUMBERS_BEING_ADDED);
  };
  setHandler(
    reserveNumbersUpdate,
    ({ batchKey }) => {
      step({ type: 'numbersReserved', batchKey });
      return { first: state.addition?.first ?? state.total, batches: batchesOf(input, state) };
    },
    { validator: (request) => additionValidator(request, true) },
  );
  setHandler(
    addNumbersUpdate,
    ({ batchKey, batch }) => {
      step({ type: 'numbersAdded', batchKey, batch });
      return { total: state.total };
    },
    { validator: (request) => additionValidator(request, false) },
  );

  const validator = (): void => {
    if (controlRefusal(state) !== null) throw new Error(CAMPAIGN_CLOSED);
  };
  for (const [update, type] of [
    [pauseUpdate, 'pause'],
    [resumeUpdate, 'resume'],
    [cancelUpdate, 'cancel'],
  ] as const) {
    setHandler(
      update,
      () => {
        step({ type });
        return { status: state.status };
      },
      { validator },
    );
  }

  step({ type: 'tick' });
  while (!isClosed(state)) {
    if (shouldContinueAsNew(input)) {
      // Activities cannot cross runs; calls can: drain the first, carry the second in the state.
      draining = true;
      await condition(
        () => isClosed(state) || (activitiesInFlight === 0 && sendsInFlight === 0 && allHandlersFinished()),
      );
      if (isClosed(state)) break;
      await continueAsNew<typeof campaignWorkflow>(input, state);
    }
    await untilWorkIsDue();
    step({ type: 'tick' });
  }

  /** Sleeps until the next planned work, waking early when the plan changes or the run must hand over. */
  async function untilWorkIsDue(): Promise<void> {
    const wakeAt = nextWakeAt(state, Date.now());
    const changed = (): boolean =>
      isClosed(state) || shouldContinueAsNew(input) || nextWakeAt(state, Date.now()) !== wakeAt;
    if (wakeAt === null) await condition(changed);
    else await condition(changed, Math.max(1, wakeAt - Date.now()));
  }

  await condition(() => sendsInFlight === 0 && allHandlersFinished());
  await releaseNumberChunks(input.campaignId, batchesOf(input, state));
  log.info('campaign ended', { campaignId: state.campaignId, status: state.status, finished: state.finished });
  if (state.status === 'failed') {
    throw ApplicationFailure.create({ message: state.failureReason ?? 'campaign failed', nonRetryable: true });
  }
  return progressOf(state, workflowInfo().workflowId);
}

function totalOf(input: CampaignInput): number {
  return input.numbers?.length ?? input.chunks?.total ?? 0;
}

function batchesOf(input: CampaignInput, state: CampaignState): NumberChunks[] {
  return input.chunks ? numberBatches(input.chunks, state) : [];
}

/**
 * Ends the campaign's number-chunk workflows: nothing will dial from them again (they still answer
 * queries for results). Awaited: Temporal drops a signal whose sender has closed before it was delivered.
 */
async function releaseNumberChunks(campaignId: string, batches: readonly NumberChunks[]): Promise<void> {
  const release = (workflowId: string) =>
    getExternalWorkflowHandle(workflowId)
      .signal(releaseNumbersSignal)
      // One already gone (ended by an operator) holds nothing to release.
      .catch(() => undefined);
  await Promise.all(chunkWorkflowIdsOf(campaignId, batches).map(release));
}

/** The Temporal UI's "Current details" of the run: the counts operators watch, as markdown. */
function currentDetails(p: CampaignProgress): string {
  const outcomes = Object.entries(p.outcomes)
    .map(([outcome, n]) => `${outcome} ${n}`)
    .join(' · ');
  return [
    `**${p.status}**: ${p.finished} of ${p.total} finished, ${p.inFlight} in flight, ${p.pending} pending`,
    `Outcomes: ${outcomes}`,
    `Agents: ${p.agents.idle} idle, ${p.agents.onCall} on a call, ${p.agents.busy} busy, ${p.agents.offline} offline`,
  ].join('\n\n');
}

function placementEvent(callId: string, result: PlaceCallResult): CampaignEvent {
  if (result.placed) return { type: 'callPlaced', callId };
  if ('agentUnavailable' in result) {
    const { status, observedAt } = result.agentUnavailable;
    return { type: 'callNotDialled', callId, agentStatus: status, at: observedAt };
  }
  return { type: 'callRefused', callId };
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
