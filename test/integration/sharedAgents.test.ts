/**
 * Campaigns that share agents: the agent system reports an agent busy only once a call is answered,
 * so while one campaign's call rings, another campaign sees the agent idle. The agent claims keep it
 * from dialling for them; the ledger, across campaigns, is the judge.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { PlaceCallResult } from '../../src/activities/types';
import { workflowIdFor } from '../../src/shared/callId';
import { agentClaimer, agentClaimWorkflowId } from '../../src/worker/agentClaimer';
import { agentClaimWorkflow } from '../../src/workflows/agents';
import { agentClaimQuery } from '../../src/workflows/agentClaims';
import { eventually } from '../support/eventually';
import { recordHistories } from '../support/histories';
import { runsOf } from '../support/temporal';
import { startInProcessDialer, testNumbers } from '../support/inProcessDialer';
import { checkLedger, CLEAN } from '../support/ledgerChecks';

jest.setTimeout(120_000);

/** placeCall results in a campaign's history: how many found the agent on another campaign's call. */
async function notDialled(client: Client, campaignId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowIdFor(campaignId)).fetchHistory();
  return (history.events ?? []).filter((event) => {
    const payload = event.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
    if (!payload) return false;
    // recordCampaignStatus completes with no result.
    const result = defaultPayloadConverter.fromPayload<PlaceCallResult | object | undefined>(payload);
    return result !== undefined && 'agentUnavailable' in result;
  }).length;
}

it('three campaigns on the same three agents never give an agent two calls', async () => {
  // Calls ring 100-300 ms: an idle report reaches every campaign at once, and each would dial.
  const dialer = await startInProcessDialer({ simulator: { agents: 3, timeScale: 0.005, ringSec: [20, 60] } });
  try {
    const agentIds = ['a1', 'a2', 'a3'];
    const run = randomBytes(3).toString('hex');
    // a1's claim workflow is started ahead of its first claim, with runs short enough that claims
    // meet several hand-overs to a new run.
    const taskQueue = dialer.config.temporal.taskQueue;
    const a1Claims = agentClaimWorkflowId(taskQueue, 'a1');
    await dialer.client.workflow.start(agentClaimWorkflow, {
      workflowId: a1Claims,
      taskQueue,
      args: [{ holder: null, continueAsNewAfterEvents: 30 }],
    });
    const campaigns = Array.from({ length: 3 }, (_, i) => ({
      campaignId: `shared-agents-${i}-${run}`,
      numbers: testNumbers(15, `18${i}`),
      agentIds,
    }));
    const created = await Promise.all(campaigns.map((c) => dialer.api('POST', '/campaigns', c)));
    expect(created.map((r) => [r.status, r.body])).toEqual(campaigns.map(() => [201, expect.objectContaining({ accepted: 15 })]));
    const finals = await Promise.all(campaigns.map((c) => dialer.waitForEnd(c.campaignId, 100_000)));

    const ledger = dialer.simulator.ledger();
    campaigns.forEach((c, i) => {
      expect(finals[i]!.status).toBe('completed');
      expect(checkLedger(ledger, c.campaignId, c.numbers, finals[i]!)).toEqual(CLEAN);
    });
    expect(ledger.calls).toHaveLength(45);
    // The campaigns did compete: claims turned placements away (without them, a run of this test
    // had 24 double-booked calls).
    const turnedAway = await Promise.all(campaigns.map((c) => notDialled(dialer.client, c.campaignId)));
    expect(turnedAway.reduce((a, b) => a + b)).toBeGreaterThan(0);

    // Each agent's claim workflow names the call that last held them; a1's went through several runs.
    for (const agentId of agentIds) {
      const holder = await dialer.client.workflow.getHandle(agentClaimWorkflowId(taskQueue, agentId)).query(agentClaimQuery);
      expect(campaigns.map((c) => c.campaignId)).toContain(holder?.campaignId);
      expect(ledger.calls.map((c) => c.callId)).toContain(holder?.callId);
    }
    const runs = await eventually(() => runsOf(dialer.client, a1Claims), (found) => found.length > 3);
    expect(runs.length).toBeGreaterThan(3);
    await recordHistories(dialer.client, a1Claims, 'agent-claim');
    await recordHistories(dialer.client, workflowIdFor(campaigns[0]!.campaignId), 'shared-agents');
  } finally {
    await dialer.stop();
  }
});

it('takes a claim over from a campaign that does not hold the agent (here one that never existed); keeps phone-like agent ids out of sight', async () => {
  const dialer = await startInProcessDialer();
  try {
    const claimer = agentClaimer(dialer.client, dialer.config.temporal.taskQueue);
    expect(await claimer.claim({ agentId: 'a9', callId: 'ghost.0.1', campaignId: 'ghost' })).toBe(true);
    expect(await claimer.claim({ agentId: 'a9', callId: 'other.0.1', campaignId: 'other' })).toBe(true);
    const holder = await dialer.client.workflow
      .getHandle(agentClaimWorkflowId(dialer.config.temporal.taskQueue, 'a9'))
      .query(agentClaimQuery);
    expect(holder).toEqual({ callId: 'other.0.1', campaignId: 'other' });

    // An agent id that looks like a phone number stays out of the claim workflow's id and summary.
    const phoneLike = '13800138000';
    expect(await claimer.claim({ agentId: phoneLike, callId: 'other.1.1', campaignId: 'other' })).toBe(true);
    const workflowId = agentClaimWorkflowId(dialer.config.temporal.taskQueue, phoneLike);
    const summary = await (await dialer.client.workflow.getHandle(workflowId).describe()).staticSummary();
    expect(summary).toMatch(/^Which call holds agent [a-p]{24},/);
    expect(`${workflowId} ${summary}`).not.toMatch(/\d{9}/);
  } finally {
    await dialer.stop();
  }
});
