/**
 * The simulator as its own process: `tsx src/simulator/main.ts`, configured from the environment
 * (see env.ts). Prints one JSON line when listening; stops cleanly on SIGTERM/SIGINT.
 */
import { exitOnConfigError } from '../config';
import { createLogger } from '../logger';
import { stopOnSignals } from '../shutdown';
import { loadSimulatorEnv } from './env';
import { createSimulator, SimulatorOptionsError, type Simulator } from './simulator';

async function main(): Promise<void> {
  const env = exitOnConfigError(() => loadSimulatorEnv());
  const logger = createLogger('simulator', env.logLevel);
  let sim: Simulator;
  try {
    sim = createSimulator({ ...env.options, logger });
  } catch (err) {
    if (err instanceof SimulatorOptionsError) {
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }

  const { url, port } = await sim.start(env.port);
  const { agents, answerRate, busyRate, failRate, timeScale, agentWebhookUrl } = env.options;
  logger.info(
    { url, port, seed: sim.seed, agents, answerRate, busyRate, failRate, timeScale, agentWebhookUrl },
    'simulator listening',
  );

  // A wedged shutdown must not hang the supervisor.
  stopOnSignals(logger, () => sim.stop(), 5_000);
}

main().catch((err: unknown) => {
  process.stderr.write(`simulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
