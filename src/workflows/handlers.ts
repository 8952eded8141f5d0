/** The campaign's signal, query and update handlers: each turns a message into a reducer event, or reads the state. */
import { setHandler, workflowInfo } from '@temporalio/workflow';
import {
  addNumbersUpdate,
  agentOnCallQuery,
  agentTilesQuery,
  agentStatusSignal,
  callbackSignal,
  callStatusSignal,
  CAMPAIGN_CLOSED,
  cancelUpdate,
  numberActivityQuery,
  NUMBERS_BEING_ADDED,
  pauseUpdate,
  progressQuery,
  reserveNumbersUpdate,
  resumeUpdate,
} from './messages';
import { agentTilesOf, numberActivityOf, progressOf } from './progress';
import { additionRefusal, type CampaignEvent, controlRefusal } from './reducer';
import { agentOnCall, type CampaignState } from './state';

export function setCampaignHandlers(state: CampaignState, step: (event: CampaignEvent) => void): void {
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
  setHandler(callbackSignal, (callback) => step({ type: 'callback', ...callback }));

  setHandler(progressQuery, () => progressOf(state, workflowInfo().workflowId, Date.now()), {
    description: 'The campaign as GET /campaigns/:id shows it: counts by state and outcome, agents by state. No arguments.',
  });
  setHandler(agentOnCallQuery, (agentId) => agentOnCall(state, agentId), {
    description: "Whether one of this campaign's calls holds the agent. Argument: the agent id.",
  });
  setHandler(agentTilesQuery, () => agentTilesOf(state), {
    description: "Each of the campaign's agents: idle, on-call, wrap-up, busy (elsewhere) or offline. No arguments.",
  });
  setHandler(numberActivityQuery, () => numberActivityOf(state), {
    description: 'Calls in flight and ended attempts not yet written to the database. No arguments.',
  });

  // Adding numbers: reserve (no other reservation may be held), then add (the caller's must be held,
  // or have lapsed: the numbers are in the database by then, so the total is taken all the same).
  setHandler(reserveNumbersUpdate, ({ batchKey }) => step({ type: 'numbersReserved', batchKey }), {
    validator: (_request) => {
      const refusal = additionRefusal(state, Date.now());
      if (refusal) throw new Error(refusal === 'closed' ? CAMPAIGN_CLOSED : NUMBERS_BEING_ADDED);
    },
  });
  setHandler(
    addNumbersUpdate,
    ({ batchKey, total }) => {
      step({ type: 'numbersAdded', batchKey, total });
      return { total: state.total };
    },
    { validator: (_request) => refuseWhenEnded(state) },
  );

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
      { validator: () => refuseWhenEnded(state) },
    );
  }
}

function refuseWhenEnded(state: CampaignState): void {
  if (controlRefusal(state) !== null) throw new Error(CAMPAIGN_CLOSED);
}
