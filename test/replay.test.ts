/** Replays recorded campaign histories against today's workflow code: nondeterminism fails here. */
import { Worker } from '@temporalio/worker';
import { loadHistories } from './support/histories';
import { quietRuntime } from './support/temporal';

it('replays every recorded campaign history without a nondeterminism error', async () => {
  quietRuntime();
  const histories = loadHistories();
  expect(histories.length).toBeGreaterThanOrEqual(5);
  const failures: string[] = [];
  const results = Worker.runReplayHistories(
    { workflowBundle: { codePath: process.env.TEMPORAL_TEST_BUNDLE! } },
    histories,
  );
  for await (const result of results) {
    if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
  }
  expect(failures).toEqual([]);
});
