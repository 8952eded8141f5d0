/**
 * The simulator as its own process: `tsx src/simulator/main.ts`, configured from the environment
 * (see env.ts). Prints one JSON line when listening; stops cleanly on SIGTERM/SIGINT.
 */
import { ConfigError } from '../config';
import { createLogger } from '../logger';
import { loadSimulatorEnv, type SimulatorEnv } from './env';
import { createSimulator, SimulatorOptionsError, type Simulator } from './simulator';

function configOrExit(): SimulatorEnv {
  try {
    return loadSimulatorEnv();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const env = configOrExit();
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

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'simulator stopping');
    // A wedged shutdown must not hang the supervisor; unref'd so it never keeps us alive.
    setTimeout(() => process.exit(1), 5_000).unref();
    sim.stop().then(
      () => {
        logger.info('simulator stopped');
        process.exitCode = 0;
      },
      (err: unknown) => {
        logger.error({ err }, 'simulator stop failed');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`simulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
