import type { Runtime as RuntimeClass, RuntimeOptions } from '@temporalio/worker';
import type { Logger } from '../logger';

type SdkLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * Routes the SDK's and the workflows' logs into the process's pino logger (JSON, one line each).
 * The Runtime is installed once per process, so its other options (e.g. telemetry) come through here.
 */
export function installSdkLogger(
  runtime: typeof RuntimeClass,
  logger: Logger,
  options: Pick<RuntimeOptions, 'shutdownSignals' | 'telemetryOptions'> = {},
): void {
  const write = (level: SdkLevel, message: string, meta?: Record<string, unknown>): void => {
    const method = level === 'TRACE' ? 'trace' : level === 'DEBUG' ? 'debug' : level === 'INFO' ? 'info' : level === 'WARN' ? 'warn' : 'error';
    logger[method](meta ?? {}, message);
  };
  runtime.install({
    ...options,
    logger: {
      log: write,
      trace: (m, meta) => write('TRACE', m, meta),
      debug: (m, meta) => write('DEBUG', m, meta),
      info: (m, meta) => write('INFO', m, meta),
      warn: (m, meta) => write('WARN', m, meta),
      error: (m, meta) => write('ERROR', m, meta),
    },
  });
}
