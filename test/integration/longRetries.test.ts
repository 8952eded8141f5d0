/**
 * Retries a day apart wait in the database, not in the workflow: 2,000 numbers on 200 agents, mostly
 * unanswered, with maxAttempts 3 and retryDelaySec 86,400. Through all the first attempts the campaign
 * continues as new more than once, and every state it carries stays under 32 KiB + 200 B per agent.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { workflowIdFor } from '../../src/shared/callId';
import { carriedBytes, carryBound, type CarriedState } from '../../src/workflows/carry';
import { eventually } from '../support/eventually';
import { checkLedger, CLEAN } from '../support/ledgerChecks';
import { startInProcessDialer, testNumbers } from '../support/inProcessDialer';
import { runsOf } from '../support/temporal';

jest.setTimeout(300_000);

const AGENTS = 200;
const NUMBERS = 2_000;

it('keeps 2,000 numbers waiting a day for their retry out of the carried state', async () => {
  const dialer = await startInProcessDialer({
    simulator: { agents: AGENTS, answerRate: 0.1, busyRate: 0.1, failRate: 0, ringSec: [1, 2], talkSec: [1, 2], wrapUpSec: [1, 1], timeScale: 0.02 },
    env: { AGENT_POLL_SEC: '2' },
  });
  try {
    const id = 'long-retries';
    const numbers = testNumbers(NUMBERS, '131');
    const created = await dialer.api('POST', '/campaigns', {
      campaignId: id,
      numbers,
      settings: { maxAttempts: 3, retryDelaySec: 86_400 },
    });
    expect(created.status).toBe(201);
    const firstAttempts = async () => dialer.simulator.ledger().calls.filter((c) => c.campaignId === id && c.endedAt !== null).length;
    expect(await eventually(firstAttempts, (n) => n >= NUMBERS, 240_000)).toBe(NUMBERS);

    // Every number had its first attempt; the unanswered ones wait a day, in the database.
    const progress = await eventually(
      async () => (await dialer.api('GET', `/campaigns/${id}`)).body,
      (p) => p.inFlight === 0 && p.finished + p.pending === NUMBERS,
    );
    expect(progress).toMatchObject({ status: 'running', total: NUMBERS, inFlight: 0 });
    expect(progress.pending).toBeGreaterThan(NUMBERS / 2);
    const waiting = await eventually(
      async () => (await dialer.pool.query(
        "SELECT count(*)::int AS n FROM contact WHERE campaign_id = $1 AND state = 'queued' AND attempts = 1 AND due_at > now() + interval '23 hours'",
        [id],
      )).rows[0].n as number,
      (n) => n === progress.pending,
    );
    expect(waiting).toBe(progress.pending);

    // The hand-overs happened, and none carried more than the bound.
    const continued = (await runsOf(dialer.client, workflowIdFor(id))).filter((run) => run.status.name === 'CONTINUED_AS_NEW');
    expect(continued.length).toBeGreaterThanOrEqual(2);
    const sizes = await Promise.all(
      continued.map(async ({ runId }) => {
        const history = await dialer.client.workflow.getHandle(workflowIdFor(id), runId).fetchHistory();
        const payload = history.events!.at(-1)!.workflowExecutionContinuedAsNewEventAttributes!.input!.payloads![1]!;
        const carried = defaultPayloadConverter.fromPayload<CarriedState>(payload);
        return { payloadBytes: payload.data!.length, carriedBytes: carriedBytes(carried) };
      }),
    );
    const largest = Math.max(...sizes.map((s) => s.payloadBytes));
    process.stderr.write(`[long-retries] ${continued.length} hand-overs, largest carried payload ${largest} B (bound ${carryBound(AGENTS)} B)\n`);
    expect(largest).toBeLessThanOrEqual(carryBound(AGENTS));

    // Cancelled now: the waiting numbers have had their last attempt.
    expect((await dialer.api('POST', `/campaigns/${id}/cancel`)).status).toBe(200);
    const final = await dialer.waitForEnd(id);
    expect(final).toMatchObject({ status: 'cancelled', finished: NUMBERS, pending: 0 });
    expect(checkLedger(dialer.simulator.ledger(), id, numbers, final, 3)).toEqual(CLEAN);
  } finally {
    await dialer.stop();
  }
});
