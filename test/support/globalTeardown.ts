/** Stops the run's dev server and PostgreSQL, and removes their temp dir (kept with TEMPORAL_TEST_KEEP=1). */
import { rm } from 'node:fs/promises';
import type { TestRunState } from './globalSetup';

export default async function globalTeardown(): Promise<void> {
  const state: TestRunState | undefined = globalThis.__TEMPORAL_TEST_RUN__;
  if (!state) return;
  globalThis.__TEMPORAL_TEST_RUN__ = undefined;
  await Promise.all([state.server?.stop(), state.postgres?.stop()]);
  if (process.env.TEMPORAL_TEST_KEEP === '1') {
    process.stderr.write(`[temporal-test] kept ${state.tmpDir}\n`);
  } else {
    await rm(state.tmpDir, { recursive: true, force: true });
  }
}
