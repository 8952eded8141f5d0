/**
 * The process's one metrics registry. The API's and the worker's series register on it when their
 * modules load, so a process running both (`npm start`) shows both on either /metrics.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export const registry = new Registry();

let processMetricsPrefix: string | undefined;

/**
 * Node's process metrics (CPU, memory, event loop, GC) under `prefix`. Once per process: the first
 * caller's prefix wins, since a second set would only repeat the same figures.
 */
export function collectProcessMetrics(prefix: string): void {
  if (processMetricsPrefix !== undefined) return;
  processMetricsPrefix = prefix;
  collectDefaultMetrics({ register: registry, prefix });
}

/** The exposition text and its Content-Type. */
export async function scrape(): Promise<{ contentType: string; text: string }> {
  return { contentType: registry.contentType, text: await registry.metrics() };
}
