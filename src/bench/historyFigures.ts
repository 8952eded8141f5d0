/**
 * What the campaigns cost in Temporal history: events per run and in all, the largest payload, and the
 * moments (signals received, placements scheduled and started) that split dispatch latency into parts.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];
type Payload = NonNullable<NonNullable<NonNullable<HistoryEvent['workflowExecutionSignaledEventAttributes']>['input']>['payloads']>[number];

export interface Placement {
  /** Epoch ms the workflow task that decided on the call completed (ActivityTaskScheduled). */
  scheduledAt: number;
  /** Epoch ms a worker picked the activity up (ActivityTaskStarted), when recorded. */
  startedAt?: number;
}

export interface HistoryFigures {
  runs: number;
  events: number;
  maxRunEvents: number;
  maxPayloadBytes: number;
  /** The largest state a run handed to the next (continue-as-new's second argument), in bytes; 0: none. */
  maxCarriedBytes: number;
  /** The event kind that carried the largest payload, e.g. `workflowExecutionStarted`. */
  maxPayloadIn: string;
  /** Each run of each campaign, oldest first (epoch ms; closedAt null while running). */
  runList: Array<{ workflowId: string; runId: string; startedAt: number; closedAt: number | null; events: number }>;
  /** Events by kind (`workflowTaskScheduled`, `workflowExecutionSignaled`, ...), over all runs. */
  eventKinds: Record<string, number>;
  /** By callId. */
  placements: Map<string, Placement>;
  /** By callId: when the first signal of the call's end was recorded. */
  callEndSignals: Map<string, number>;
  /** By agentId: idle reports, in history order (`at`: the report's own time; `recordedAt`: the signal's). */
  idleSignals: Map<string, Array<{ at: number; recordedAt: number }>>;
}

const TERMINAL = new Set(['completed', 'no-answer', 'busy', 'failed', 'canceled']);

export async function historyFigures(client: Client, workflowIds: readonly string[]): Promise<HistoryFigures> {
  const figures: HistoryFigures = {
    runs: 0,
    events: 0,
    maxRunEvents: 0,
    maxPayloadBytes: 0,
    maxCarriedBytes: 0,
    maxPayloadIn: '',
    eventKinds: {},
    runList: [],
    placements: new Map(),
    callEndSignals: new Map(),
    idleSignals: new Map(),
  };
  for (const workflowId of workflowIds) {
    // Walk the continue-as-new chain from its first run: history says exactly which runs there were,
    // where a visibility listing might lag behind.
    const latest = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    let runId = latest[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId ?? undefined;
    while (runId) {
      const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
      addRun(figures, events);
      const last = events[events.length - 1];
      const closed = last !== undefined && isClosing(last);
      figures.runList.push({
        workflowId,
        runId,
        startedAt: events[0] ? tsToMs(events[0].eventTime) : Number.NaN,
        closedAt: closed ? tsToMs(last.eventTime) : null,
        events: events.length,
      });
      runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
  }
  return figures;
}

function addRun(figures: HistoryFigures, events: readonly HistoryEvent[]): void {
  figures.runs++;
  figures.events += events.length;
  figures.maxRunEvents = Math.max(figures.maxRunEvents, events.length);
  // Event ids are per run: map the run's placeCall scheduled events to their callIds.
  const scheduled = new Map<string, string>();
  for (const event of events) {
    const at = tsToMs(event.eventTime);
    const kind = attributesName(event);
    figures.eventKinds[kind] = (figures.eventKinds[kind] ?? 0) + 1;
    const largest = largestPayload(event);
    if (largest > figures.maxPayloadBytes) {
      figures.maxPayloadBytes = largest;
      figures.maxPayloadIn = kind;
    }

    const carried = event.workflowExecutionContinuedAsNewEventAttributes?.input?.payloads?.[1]?.data?.byteLength ?? 0;
    figures.maxCarriedBytes = Math.max(figures.maxCarriedBytes, carried);

    const schedule = event.activityTaskScheduledEventAttributes;
    if (schedule?.activityType?.name === 'placeCall') {
      const callId = field(decode(schedule.input?.payloads?.[0]), 'callId');
      if (callId !== undefined) {
        scheduled.set(String(event.eventId), callId);
        if (!figures.placements.has(callId)) figures.placements.set(callId, { scheduledAt: at });
      }
    }
    const start = event.activityTaskStartedEventAttributes;
    if (start) {
      const callId = scheduled.get(String(start.scheduledEventId));
      const placement = callId === undefined ? undefined : figures.placements.get(callId);
      if (placement && placement.startedAt === undefined) placement.startedAt = at;
    }

    const signal = event.workflowExecutionSignaledEventAttributes;
    if (!signal) continue;
    const body = decode(signal.input?.payloads?.[0]);
    const status = field(body, 'status');
    if (signal.signalName === 'callStatus') {
      const callId = field(body, 'callId');
      if (callId !== undefined && status !== undefined && TERMINAL.has(status) && !figures.callEndSignals.has(callId)) {
        figures.callEndSignals.set(callId, at);
      }
    } else if (signal.signalName === 'agentStatus' && status === 'idle') {
      const agentId = field(body, 'agentId');
      const reportedAt = typeof body === 'object' && body !== null && 'at' in body ? Number(body.at) : Number.NaN;
      if (agentId === undefined || !Number.isFinite(reportedAt)) continue;
      const list = figures.idleSignals.get(agentId) ?? [];
      list.push({ at: reportedAt, recordedAt: at });
      figures.idleSignals.set(agentId, list);
    }
  }
}

function isClosing(event: HistoryEvent): boolean {
  return Boolean(
    event.workflowExecutionCompletedEventAttributes ??
      event.workflowExecutionFailedEventAttributes ??
      event.workflowExecutionCanceledEventAttributes ??
      event.workflowExecutionTerminatedEventAttributes ??
      event.workflowExecutionTimedOutEventAttributes ??
      event.workflowExecutionContinuedAsNewEventAttributes,
  );
}

function decode(payload: Payload | undefined): unknown {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch {
    return undefined;
  }
}

function field(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null || !(key in value)) return undefined;
  const found: unknown = (value as Record<string, unknown>)[key];
  return typeof found === 'string' ? found : undefined;
}

/** `workflowExecutionStarted` for an event carrying workflowExecutionStartedEventAttributes. */
function attributesName(event: HistoryEvent): string {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventAttributes') && value) return key.slice(0, -'EventAttributes'.length);
  }
  return 'unknown';
}

/**
 * The biggest single payload anywhere in the event (inputs, results, signal and marker details, memo,
 * headers, search attributes): any message with a `data` byte array is a payload.
 */
function largestPayload(event: HistoryEvent): number {
  let bytes = 0;
  const walk = (node: unknown, level: number): void => {
    if (node === null || typeof node !== 'object' || level > 32 || node instanceof Uint8Array) return;
    if ('data' in node && node.data instanceof Uint8Array) {
      bytes = Math.max(bytes, node.data.byteLength);
      return;
    }
    for (const child of Array.isArray(node) ? node : Object.values(node)) walk(child, level + 1);
  };
  walk(event, 0);
  return bytes;
}
