/** The worker's series: what placeCall did with each attempt, and how long dispatch took. */
import { Counter, Histogram } from 'prom-client';
import { registry } from './registry';

export const WORKER_PROCESS_PREFIX = 'dialer_worker_';

/**
 * placed: the provider took the call; refused: it answered a final 4xx; not_dialled: a late
 * placement found its agent no longer idle; error: the attempt failed (Temporal retries it).
 */
export const PLACE_CALL_RESULTS = ['placed', 'refused', 'not_dialled', 'error'] as const;
export type PlaceCallResultLabel = (typeof PLACE_CALL_RESULTS)[number];

export const callsPlaced = new Counter({
  name: 'dialer_calls_placed_total',
  help: 'placeCall attempts by result (placed, refused, not_dialled, error)',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const dispatchLatency = new Histogram({
  name: 'dialer_dispatch_latency_seconds',
  help: 'From the workflow scheduling a placeCall attempt to the provider answering its POST /calls',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

for (const result of PLACE_CALL_RESULTS) callsPlaced.inc({ result }, 0);
