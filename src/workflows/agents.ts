/**
 * The agent-claim workflow: one per agent and task queue, started by the first placeCall that claims
 * the agent. It only answers claims (see agentClaims.ts). One per agent, so that claims for different
 * agents never wait on one another, and a run answers some 400 claims before it hands over.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { type AgentClaim, agentClaimQuery, claimAgent, claimAgentUpdate } from './agentClaims';

/** A claim costs about five events. */
const RUN_EVENTS = 2_000;

export interface AgentClaimInput {
  holder: AgentClaim | null;
  /** Continue as new after this many history events (default 2,000), or when Temporal suggests it. */
  continueAsNewAfterEvents?: number;
}

export async function agentClaimWorkflow(input: AgentClaimInput): Promise<void> {
  let { holder } = input;
  const runEvents = input.continueAsNewAfterEvents ?? RUN_EVENTS;
  setHandler(
    claimAgentUpdate,
    (request) => {
      const next = claimAgent(holder, request);
      holder = next.holder;
      return next.reply;
    },
    { description: 'Claims the agent for a call: granted unless a call of another campaign holds them.' },
  );
  setHandler(agentClaimQuery, () => holder, { description: 'The call that last claimed the agent, or null.' });
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= runEvents);
  await condition(allHandlersFinished);
  await continueAsNew<typeof agentClaimWorkflow>({ ...input, holder });
}
