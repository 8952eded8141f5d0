/**
 * GET /campaigns/:id and pause/resume/cancel need the campaign workflow to answer: the real API, a
 * real worker running the workflow bundle, and the simulator as provider and agent system.
 * Calls ring for a long time here, so a campaign is still dialling while the test steers it.
 */
import { workflowIdFor } from '../../src/shared/callId';
import type { CampaignProgress } from '../../src/shared/types';
import { type InProcessDialer, startInProcessDialer, testNumbers } from '../support/inProcessDialer';
import { uniqueCampaignId } from './helpers';
import { eventually } from '../support/eventually';

let dialer: InProcessDialer;

beforeAll(async () => {
  dialer = await startInProcessDialer({
    simulator: { agents: ['a1', 'a2'], timeScale: 1, ringSec: [60, 60], answerRate: 0, busyRate: 0, failRate: 0 },
  });
});

afterAll(async () => {
  await dialer?.stop();
});

async function create(agentIds: string[], count = 2): Promise<string> {
  const campaignId = uniqueCampaignId('ctl');
  const body = { campaignId, name: `Control ${campaignId}`, numbers: testNumbers(count), agentIds };
  const res = await dialer.api('POST', '/campaigns', body);
  expect(res.status).toBe(201);
  return campaignId;
}

function control(campaignId: string, action: string): ReturnType<InProcessDialer['api']> {
  return dialer.api('POST', `/campaigns/${campaignId}/${action}`);
}

async function progress(campaignId: string): Promise<CampaignProgress> {
  const res = await dialer.api('GET', `/campaigns/${campaignId}`);
  expect(res.status).toBe(200);
  return res.body as CampaignProgress;
}

function expectConsistent(p: CampaignProgress): void {
  expect(p.total).toBe(p.pending + p.inFlight + p.finished);
  const finishedByOutcome = Object.values(p.outcomes).reduce((a, b) => a + b, 0);
  expect(finishedByOutcome).toBe(p.finished);
}

async function workflowStatus(campaignId: string): Promise<string> {
  return (await dialer.client.workflow.getHandle(workflowIdFor(campaignId)).describe()).status.name;
}

describe('GET /campaigns/:id', () => {
  it('200 with the contract fields', async () => {
    const campaignId = await create(['nobody'], 3);
    const p = await progress(campaignId);
    expect(p).toEqual({
      campaignId,
      name: `Control ${campaignId}`,
      workflowId: workflowIdFor(campaignId),
      status: 'running',
      total: 3,
      pending: expect.any(Number),
      inFlight: expect.any(Number),
      finished: expect.any(Number),
      outcomes: { answered: 0, 'no-answer': 0, busy: 0, failed: 0, canceled: 0, 'do-not-call': 0 },
      agents: {
        idle: expect.any(Number),
        onCall: expect.any(Number),
        busy: expect.any(Number),
        offline: expect.any(Number),
      },
      waiting: { outsideHours: expect.any(Number), retryLater: expect.any(Number), nextDialAt: null },
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      completedAt: null,
    });
    expectConsistent(p);
  });
});

describe('pause, resume, cancel', () => {
  it('200 {status} for each, and the campaign shows it; cancel ends a campaign with nothing in flight', async () => {
    // No listed agent is in this campaign, so it never dials and stays open until cancelled.
    const campaignId = await create(['nobody']);
    expect(await control(campaignId, 'pause')).toEqual({ status: 200, body: { status: 'paused' } });
    expect((await progress(campaignId)).status).toBe('paused');
    // Repeating a control is harmless (clients retry).
    expect(await control(campaignId, 'pause')).toEqual({ status: 200, body: { status: 'paused' } });
    expect(await control(campaignId, 'resume')).toEqual({ status: 200, body: { status: 'running' } });
    expect((await progress(campaignId)).status).toBe('running');
    expect(await control(campaignId, 'cancel')).toEqual({ status: 200, body: { status: 'cancelled' } });

    await eventually(() => workflowStatus(campaignId), (s) => s === 'COMPLETED');
    const ended = await progress(campaignId); // queried from the closed workflow
    expect(ended).toMatchObject({ status: 'cancelled', finished: 0, completedAt: expect.any(String) });
    expectConsistent(ended);
  });

  it('409 campaign_closed once the campaign has ended (workflow closed)', async () => {
    const campaignId = await create(['nobody']);
    expect(await control(campaignId, 'cancel')).toEqual({ status: 200, body: { status: 'cancelled' } });
    await eventually(() => workflowStatus(campaignId), (s) => s === 'COMPLETED');
    for (const action of ['pause', 'resume', 'cancel']) {
      const res = await control(campaignId, action);
      expect(res).toEqual({ status: 409, body: { error: expect.objectContaining({ code: 'campaign_closed' }) } });
    }
  });

  it('409 campaign_closed once cancelled, while calls in flight are still ending (workflow open)', async () => {
    const campaignId = await create(['a1']);
    const dialling = await eventually(() => progress(campaignId), (p) => p.inFlight === 1, 15_000);
    expect(dialling.inFlight).toBe(1);
    expect(await control(campaignId, 'cancel')).toEqual({ status: 200, body: { status: 'cancelled' } });
    expect(await workflowStatus(campaignId)).toBe('RUNNING');
    for (const action of ['pause', 'resume', 'cancel']) {
      const res = await dialer.api('POST', `/campaigns/${campaignId}/${action}`);
      expect(res).toEqual({ status: 409, body: { error: expect.objectContaining({ code: 'campaign_closed' }) } });
    }
    const p = await progress(campaignId);
    expect(p).toMatchObject({ status: 'cancelled', inFlight: 1, completedAt: null });
    expectConsistent(p);
    await dialer.client.workflow.getHandle(workflowIdFor(campaignId)).terminate('test over');
  });

  it('shows a campaign terminated from the Temporal UI as failed and ended', async () => {
    const campaignId = await create(['a1']);
    await eventually(() => progress(campaignId), (p) => p.inFlight === 1, 15_000);
    await dialer.client.workflow.getHandle(workflowIdFor(campaignId)).terminate('operator stopped it');
    const p = await progress(campaignId);
    expect(p).toMatchObject({ status: 'failed', inFlight: 1 });
    expect(p.completedAt).not.toBeNull();
    expectConsistent(p);
  });

  it('404 campaign_not_found for an unknown campaign', async () => {
    for (const action of ['pause', 'resume', 'cancel']) {
      const res = await dialer.api('POST', `/campaigns/${uniqueCampaignId('ghost')}/${action}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('campaign_not_found');
    }
    expect((await dialer.api('GET', `/campaigns/${uniqueCampaignId('ghost')}`)).status).toBe(404);
  });
});
