/** The API's access to Temporal: a connection that fails fast, per-call deadlines, existence checks. */
import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  isGrpcServiceError,
  makeGrpcRetryInterceptor,
  type WorkflowHandle,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { Config } from '../config';

/**
 * Lazy, so the API starts (and answers 503) while Temporal is down. Few retries: an HTTP caller is
 * waiting, and the webhook senders retry on 503 themselves.
 */
export function createApiConnection(temporal: Config['temporal']): Connection {
  return Connection.lazy({
    address: temporal.address,
    ...temporal.security,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4 }))],
  });
}

export function createApiClient(temporal: Config['temporal'], connection: Connection): Client {
  return new Client({ connection, namespace: temporal.namespace });
}

/** No request waits on Temporal longer than this (a query or update also waits for a worker). */
export const RPC_DEADLINE_MS = 10_000;

interface RpcTracker {
  running: number;
  onSettled: Array<() => void>;
}
const trackers = new WeakMap<Client, RpcTracker>();

function trackerOf(client: Client): RpcTracker {
  let tracker = trackers.get(client);
  if (!tracker) trackers.set(client, (tracker = { running: 0, onSettled: [] }));
  return tracker;
}

/**
 * Every RPC of the API goes through here: bounded in time, and counted so that stop can wait for it.
 * Probes (readiness, metrics) pass a shorter deadline: nobody should wait 10 s for them.
 */
export function withDeadline<T>(client: Client, call: () => Promise<T>, deadlineMs = RPC_DEADLINE_MS): Promise<T> {
  const tracker = trackerOf(client);
  tracker.running++;
  return client.connection.withDeadline(Date.now() + deadlineMs, call).finally(() => {
    if (--tracker.running === 0) for (const settled of tracker.onSettled.splice(0)) settled();
  });
}

/**
 * Resolves once no RPC is running, retries included. A request whose client went away keeps its
 * handler running; closing the connection under it would make the SDK's retry timer throw.
 */
export function rpcsSettled(client: Client): Promise<void> {
  const tracker = trackerOf(client);
  return tracker.running === 0 ? Promise.resolve() : new Promise((resolve) => tracker.onSettled.push(resolve));
}

/** Whether the workflow exists at all, running or closed (within the namespace's retention). */
export async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await withDeadline(client, () => client.workflow.getHandle(workflowId).describe());
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Runs an operation that the server refuses with "not found" both for unknown and for closed
 * workflows, and tells those apart with a describe.
 */
export async function unlessNotFound<T>(
  client: Client,
  workflowId: string,
  call: () => Promise<T>,
): Promise<{ outcome: 'done'; value: T } | { outcome: 'closed' | 'unknown' }> {
  try {
    return { outcome: 'done', value: await withDeadline(client, call) };
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    return { outcome: (await workflowExists(client, workflowId)) ? 'closed' : 'unknown' };
  }
}

const GRPC_FAILED_PRECONDITION = 9;
const UPDATE_ATTEMPTS = 3;

/**
 * The server drops an update whose workflow task failed (e.g. an activity result arrived while the
 * task was completing the workflow): it was never applied, so it may be sent again.
 */
function isUpdateDropped(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && e.code === GRPC_FAILED_PRECONDITION && /workflow task failure/i.test(e.message)) {
      return true;
    }
  }
  return false;
}

/** executeUpdate, sent again when the server dropped it; to be run inside withDeadline. */
export async function executeUpdateResending<Ret, Args extends unknown[]>(
  handle: WorkflowHandle,
  update: UpdateDefinition<Ret, Args>,
  ...args: Args
): Promise<Ret> {
  // One id for every attempt, so an attempt the server did apply is never applied twice.
  const updateId = randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      // By name: the client's overloads cannot take an argument list of generic length.
      return await handle.executeUpdate<Ret, [unknown, ...unknown[]]>(update.name, {
        updateId,
        args: args as unknown as [unknown, ...unknown[]],
      });
    } catch (err) {
      if (attempt >= UPDATE_ATTEMPTS || !isUpdateDropped(err)) throw err;
      await setTimeout(50 * attempt);
    }
  }
}
