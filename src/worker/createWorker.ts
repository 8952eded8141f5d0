import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { createActivities, type ActivityDeps } from '../activities';
import type { DialerActivities } from '../activities/types';
import type { Config } from '../config';
import type { Pool } from '../db/database';
import type { Logger } from '../logger';
import { agentClaimer } from './agentClaimer';
import { withPlaceCallMetrics } from './placeCallMetrics';

export interface DialerWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: ActivityDeps;
  /** A prebuilt bundle (tests, production images); otherwise the workflows are bundled at start. */
  workflowBundlePath?: string;
  tuning?: Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions'>;
}

export function createDialerWorker(options: DialerWorkerOptions): Promise<Worker> {
  const client = new Client({ connection: options.connection, namespace: options.namespace });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: withActivityMetrics(
      createActivities({
        // Agent claims: placeCall uses the worker's own connection.
        agentClaims: agentClaimer(client, options.taskQueue),
        ...options.activities,
      }),
    ),
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    ...options.tuning,
  });
}

/** The activities as the worker runs them: placeCall counted and timed (see placeCallMetrics.ts). */
function withActivityMetrics(activities: DialerActivities): DialerActivities {
  return { ...activities, placeCall: withPlaceCallMetrics(activities.placeCall) };
}

/** The activities' dependencies as a process's configuration gives them, with the process's database pool. */
export function activityDepsFrom(config: Config, logger: Logger, database: Pool): ActivityDeps {
  const common = { agentApiBaseUrl: config.agentApiBaseUrl, publicBaseUrl: config.publicBaseUrl, logger, database };
  if (config.twilio !== undefined) return { ...common, twilio: config.twilio };
  return { ...common, telephonyBaseUrl: config.telephony.baseUrl, telephonyApiKey: config.telephony.apiKey };
}
