/**
 * The campaign workflow on the real dev server, driven through the real API by the simulator.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { CarriedState } from '../../src/workflows/carry';
import { type CampaignInput, WORKFLOW_TYPE } from '../../src/workflows/messages';
import { workflowIdFor } from '../../src/shared/callId';
import { seedCampaign } from '../support/seedCampaign';
import { eventually } from '../support/eventually';
import { recordHistories } from '../support/histories';
import { checkLedger, CLEAN } from '../support/ledgerChecks';
import { runsOf } from '../support/temporal';
import { type InProcessDialer, startInProcessDialer, testNumbers } from '../support/inProcessDialer';

jest.setTimeout(120_000);

describe('a campaign end to end', () => {
  let dialer: InProcessDialer;
  beforeAll(async () => {
    dialer = await startInProcessDialer({ simulator: { agents: 5 } });
  });
  afterAll(() => dialer.stop());

  it('dials every accepted number exactly once, keeps agents single-booked and completes', async () => {
    const numbers = testNumbers(40);
    const created = await dialer.api('POST', '/campaigns', {
      campaignId: 'e2e-basic',
      name: 'basic',
      numbers: [...numbers, numbers[0], 'not-a-number'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ accepted: 40, duplicates: 1, rejected: [expect.objectContaining({ index: 41 })] });

    const final = await dialer.waitForEnd('e2e-basic');
    expect(final).toMatchObject({ status: 'completed', total: 40, finished: 40, pending: 0, inFlight: 0 });
    expect(checkLedger(dialer.simulator.ledger(), 'e2e-basic', numbers, final)).toEqual(CLEAN);
    expect(dialer.simulator.ledger().calls.filter((c) => c.campaignId === 'e2e-basic')).toHaveLength(40);

    const handle = dialer.client.workflow.getHandle(workflowIdFor('e2e-basic'));
    // The run closes once it has written its final status, a workflow task after completedAt.
    const closed = async () => (await handle.describe()).status.name;
    expect(await eventually(closed, (s) => s === 'COMPLETED')).toBe('COMPLETED');
    await recordHistories(dialer.client, handle.workflowId, 'completed');
    const listedCompleted = async () => {
      const listed = [];
      for await (const w of dialer.client.workflow.list({
        query: `WorkflowId = '${workflowIdFor('e2e-basic')}' AND CampaignStatus = 'completed'`,
      })) {
        listed.push(w);
      }
      return listed;
    };
    expect(await eventually(listedCompleted, (listed) => listed.length === 1)).toHaveLength(1);
  });

  it('keeps the numbers and their contact data in the database, none in the workflow, and writes every attempt', async () => {
    const numbers = testNumbers(12, '136');
    // ~100 KB of contact data per row: over a megabyte in all, none of it in Temporal.
    const csv = ['phone,note', ...numbers.map((n) => `${n},${'n'.repeat(100_000)}`)].join('\n');
    const res = await fetch(`${dialer.apiUrl}/campaigns?campaignId=e2e-rows`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expect(res.status).toBe(201);
    const final = await dialer.waitForEnd('e2e-rows');
    expect(checkLedger(dialer.simulator.ledger(), 'e2e-rows', numbers, final)).toEqual(CLEAN);
    const history = await dialer.client.workflow.getHandle(workflowIdFor('e2e-rows')).fetchHistory();
    const text = JSON.stringify(history);
    expect(text.length).toBeLessThan(200_000);
    for (const number of numbers) expect(text).not.toContain(number.slice(1));
    const stored = await dialer.pool.query(
      `SELECT c.phone, length(c.data->>'note') AS note, c.state, count(a.call_id)::int AS attempts
         FROM contact c LEFT JOIN attempt a USING (campaign_id, number_index)
        WHERE c.campaign_id = 'e2e-rows' GROUP BY c.phone, c.data, c.state, c.number_index ORDER BY c.number_index`,
    );
    expect(stored.rows).toEqual(numbers.map((phone) => ({ phone, note: 100_000, state: 'finished', attempts: 1 })));
  });

  it('is paused, resumed and cancelled by updates, and refuses control once cancelled', async () => {
    const numbers = testNumbers(80, '134');
    const id = 'e2e-control';
    expect((await dialer.api('POST', '/campaigns', { campaignId: id, numbers })).status).toBe(201);
    const dialled = () => dialer.simulator.ledger().calls.filter((c) => c.campaignId === id);
    const dialledCount = async () => dialled().length;
    expect(await eventually(dialledCount, (n) => n >= 8)).toBeGreaterThanOrEqual(8);

    expect(await dialer.api('POST', `/campaigns/${id}/pause`)).toEqual({ status: 200, body: { status: 'paused' } });
    const pausedAt = Date.now();
    const paused = await eventually(
      async () => (await dialer.api('GET', `/campaigns/${id}`)).body,
      (p) => p.status === 'paused' && p.inFlight === 0,
    );
    expect(paused).toMatchObject({ status: 'paused', inFlight: 0 });
    const afterPause = dialled().length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(dialled()).toHaveLength(afterPause);
    expect(Math.max(...dialled().map((c) => c.placedAt))).toBeLessThan(pausedAt + 1000);

    expect(await dialer.api('POST', `/campaigns/${id}/resume`)).toEqual({ status: 200, body: { status: 'running' } });
    expect(await eventually(dialledCount, (n) => n > afterPause)).toBeGreaterThan(afterPause);

    expect(await dialer.api('POST', `/campaigns/${id}/cancel`)).toEqual({ status: 200, body: { status: 'cancelled' } });
    const final = await dialer.waitForEnd(id);
    expect(final.status).toBe('cancelled');
    expect(final.pending).toBeGreaterThan(0);
    expect(final.finished).toBe(dialled().length);
    expect(checkLedger(dialer.simulator.ledger(), id, numbers, final)).toEqual(CLEAN);

    const resumed = await dialer.api('POST', `/campaigns/${id}/resume`);
    expect(resumed.status).toBe(409);
    expect(resumed.body.error.code).toBe('campaign_closed');
    const closed = async () => (await dialer.client.workflow.getHandle(workflowIdFor(id)).describe()).status.name;
    expect(await eventually(closed, (s) => s === 'COMPLETED')).toBe('COMPLETED');
    await recordHistories(dialer.client, workflowIdFor(id), 'controlled');
  });

  it('retries unanswered numbers up to maxAttempts, each attempt with its own call id', async () => {
    const retrying = await startInProcessDialer({
      simulator: { agents: 3, answerRate: 0, busyRate: 0, failRate: 0, ringSec: [1, 2] },
    });
    try {
      const numbers = testNumbers(6, '137');
      const created = await retrying.api('POST', '/campaigns', {
        campaignId: 'e2e-retry',
        numbers,
        settings: { maxAttempts: 3, retryDelaySec: 0 },
      });
      expect(created.status).toBe(201);
      const final = await retrying.waitForEnd('e2e-retry');
      expect(final).toMatchObject({ status: 'completed', finished: 6, outcomes: { 'no-answer': 6 } });
      const calls = retrying.simulator.ledger().calls;
      expect(calls).toHaveLength(18);
      expect(new Set(calls.map((c) => c.callId)).size).toBe(18);
      expect(checkLedger(retrying.simulator.ledger(), 'e2e-retry', numbers, final, 3)).toEqual(CLEAN);
      await recordHistories(retrying.client, workflowIdFor('e2e-retry'), 'retries');
    } finally {
      await retrying.stop();
    }
  });
});

describe('lost webhooks', () => {
  it('completes a campaign by polling the provider and the agent system when no webhook arrives', async () => {
    const deaf = await startInProcessDialer({
      // Webhooks go to a port nobody listens on: the dialer only learns by polling.
      simulator: { agents: 3, agentWebhookUrl: 'http://127.0.0.1:9/webhooks/agent-status', webhookRetry: { maxAttempts: 1 } },
      env: { PUBLIC_BASE_URL: 'http://127.0.0.1:9', CALL_SILENCE_SEC: '1', AGENT_POLL_SEC: '0.5' },
    });
    try {
      const numbers = testNumbers(8, '136');
      expect((await deaf.api('POST', '/campaigns', { campaignId: 'e2e-deaf', numbers })).status).toBe(201);
      const final = await deaf.waitForEnd('e2e-deaf');
      expect(final).toMatchObject({ status: 'completed', finished: 8 });
      expect(checkLedger(deaf.simulator.ledger(), 'e2e-deaf', numbers, final)).toEqual(CLEAN);
      await recordHistories(deaf.client, workflowIdFor('e2e-deaf'), 'polling');
    } finally {
      await deaf.stop();
    }
  });
});

describe('at-least-once webhooks', () => {
  it('stays exactly-once when a third of the webhooks arrive twice and a fifth never arrive', async () => {
    const chaotic = await startInProcessDialer({
      simulator: { agents: 4, faults: { webhookDuplicateRate: 0.33, webhookDropRate: 0.2 } },
      env: { CALL_SILENCE_SEC: '1', AGENT_POLL_SEC: '0.5' },
    });
    try {
      const numbers = testNumbers(30, '132');
      expect((await chaotic.api('POST', '/campaigns', { campaignId: 'e2e-chaos', numbers })).status).toBe(201);
      const final = await chaotic.waitForEnd('e2e-chaos');
      expect(final).toMatchObject({ status: 'completed', finished: 30 });
      expect(checkLedger(chaotic.simulator.ledger(), 'e2e-chaos', numbers, final)).toEqual(CLEAN);
      const { injected } = chaotic.simulator.faults();
      expect(injected.webhooksWithheld).toBeGreaterThan(0);
      expect(injected.webhooksDuplicated).toBeGreaterThan(0);
    } finally {
      await chaotic.stop();
    }
  });
});

describe('continue-as-new', () => {
  it('hands over to new runs several times in the middle of calls without losing or repeating a number', async () => {
    const dialer = await startInProcessDialer({ simulator: { agents: 4 } });
    try {
      const numbers = testNumbers(40, '135');
      const input: CampaignInput = {
        campaignId: 'e2e-can',
        name: 'continue-as-new',
        total: numbers.length,
        settings: { maxAttempts: 2, retryDelaySec: 0, maxConcurrentCalls: null },
        timing: { agentPollSec: 1, callSilenceSec: 5, lookupGiveUpSec: 900 },
        createdAt: new Date().toISOString(),
        continueAsNewAfterEvents: 120,
      };
      await seedCampaign(dialer.pool, input, numbers);
      const handle = await dialer.client.workflow.start(WORKFLOW_TYPE, {
        workflowId: workflowIdFor('e2e-can'),
        taskQueue: dialer.config.temporal.taskQueue,
        args: [input],
      });
      const final = await dialer.waitForEnd('e2e-can');
      expect(final).toMatchObject({ status: 'completed', finished: 40, total: 40 });
      expect(checkLedger(dialer.simulator.ledger(), 'e2e-can', numbers, final, 2)).toEqual(CLEAN);
      const continued = (await runsOf(dialer.client, handle.workflowId))
        .filter((run) => run.status.name === 'CONTINUED_AS_NEW')
        .map((run) => run.runId);
      expect(continued.length).toBeGreaterThanOrEqual(3);
      // The handovers carried calls that were still ringing or talking.
      const carriedCalls = await Promise.all(
        continued.map(async (runId) => {
          const history = await dialer.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
          const last = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
          const carried = defaultPayloadConverter.fromPayload<CarriedState>(last!.input!.payloads![1]!);
          return carried.calls.length;
        }),
      );
      expect(Math.max(...carriedCalls)).toBeGreaterThan(0);
      await recordHistories(dialer.client, handle.workflowId, 'continue-as-new');
    } finally {
      await dialer.stop();
    }
  });
});
