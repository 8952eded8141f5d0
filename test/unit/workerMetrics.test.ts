/**
 * The worker's metrics without a server: placeCall attempts counted by result and timed from their
 * schedule (in a mocked activity context), the worker's /metrics endpoint, and its configuration.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { PlaceCallInput, PlaceCallResult } from '../../src/activities/types';
import { ConfigError, loadConfig } from '../../src/config';
import { serveMetrics } from '../../src/metrics/server';
import { callsPlaced, dispatchLatency, type PlaceCallResultLabel } from '../../src/metrics/worker';
import { placeCallResultLabel, withPlaceCallMetrics } from '../../src/worker/placeCallMetrics';

const input: PlaceCallInput = { callId: 'c1.0.1', agentId: 'a1', campaignId: 'c1' };

async function placedCount(result: PlaceCallResultLabel): Promise<number> {
  const { values } = await callsPlaced.get();
  return values.find((v) => v.labels.result === result)?.value ?? 0;
}

async function latency(): Promise<{ count: number; sum: number }> {
  const { values } = await dispatchLatency.get();
  const of = (name: string): number => values.find((v) => v.metricName === name)?.value ?? 0;
  return { count: of('dialer_dispatch_latency_seconds_count'), sum: of('dialer_dispatch_latency_seconds_sum') };
}

/** Runs the wrapped activity as Temporal would: scheduled `scheduledAgoMs` before it starts. */
function runWrapped(answer: () => Promise<PlaceCallResult>, scheduledAgoMs: number): Promise<PlaceCallResult> {
  const env = new MockActivityEnvironment({ currentAttemptScheduledTimestampMs: Date.now() - scheduledAgoMs });
  return env.run(withPlaceCallMetrics(answer), input);
}

describe('placeCall metrics', () => {
  it.each<[PlaceCallResultLabel, PlaceCallResult]>([
    ['placed', { placed: true, providerCallId: 'p1' }],
    ['refused', { placed: false, httpStatus: 400, reason: 'bad number' }],
    ['not_dialled', { placed: false, agentUnavailable: { status: 'busy', observedAt: 1 } }],
  ])('labels a result %s', (label, result) => {
    expect(placeCallResultLabel(result)).toBe(label);
  });

  it('counts a placed call and times it from the attempt being scheduled to the answer', async () => {
    const before = { placed: await placedCount('placed'), latency: await latency() };
    const result = await runWrapped(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { placed: true, providerCallId: 'p1' };
    }, 1_500);
    expect(result).toEqual({ placed: true, providerCallId: 'p1' });
    expect(await placedCount('placed')).toBe(before.placed + 1);
    const after = await latency();
    expect(after.count).toBe(before.latency.count + 1);
    // 1.5 s in the queue plus 50 ms at the provider, give or take the test's own pace.
    const observed = after.sum - before.latency.sum;
    expect(observed).toBeGreaterThanOrEqual(1.54);
    expect(observed).toBeLessThan(3);
  });

  it('times a refusal (the provider answered), not a call that was never dialled', async () => {
    const before = { refused: await placedCount('refused'), notDialled: await placedCount('not_dialled'), latency: await latency() };
    await runWrapped(async () => ({ placed: false, httpStatus: 422, reason: 'no' }), 10);
    await runWrapped(async () => ({ placed: false, agentUnavailable: { status: 'offline', observedAt: 1 } }), 10);
    expect(await placedCount('refused')).toBe(before.refused + 1);
    expect(await placedCount('not_dialled')).toBe(before.notDialled + 1);
    expect((await latency()).count).toBe(before.latency.count + 1);
  });

  it('counts a failed attempt as an error and rethrows it untouched, so Temporal retries it', async () => {
    const before = { error: await placedCount('error'), latency: await latency() };
    const failure = new Error('POST /calls answered 503');
    await expect(runWrapped(() => Promise.reject(failure), 10)).rejects.toBe(failure);
    expect(await placedCount('error')).toBe(before.error + 1);
    expect((await latency()).count).toBe(before.latency.count);
  });

  it('never labels by call, number or campaign', async () => {
    const { values } = await callsPlaced.get();
    for (const { labels } of values) expect(Object.keys(labels)).toEqual(['result']);
  });
});

describe("the worker's /metrics endpoint", () => {
  it('serves the registry as Prometheus text, and nothing else', async () => {
    const server = await serveMetrics(0, '127.0.0.1');
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(text).toContain('# TYPE dialer_calls_placed_total counter');
      expect(text).toContain('# TYPE dialer_dispatch_latency_seconds histogram');
      expect(text).toMatch(/^dialer_calls_placed_total\{result="not_dialled"\} \d+$/m);
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('worker configuration', () => {
  it('defaults: 60 s to connect, metrics on 9464, SDK metrics off', () => {
    expect(loadConfig({}).worker).toEqual({ connectTimeoutSec: 60, metricsPort: 9464, temporalMetricsBind: undefined });
  });

  it('takes other values, 0 turning the metrics port off', () => {
    const config = loadConfig({ WORKER_CONNECT_TIMEOUT_SEC: '5', WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_BIND: '0.0.0.0:9465' });
    expect(config.worker).toEqual({ connectTimeoutSec: 5, metricsPort: 0, temporalMetricsBind: '0.0.0.0:9465' });
  });

  it.each([
    ['WORKER_CONNECT_TIMEOUT_SEC', '0'],
    ['WORKER_METRICS_PORT', '70000'],
    ['TEMPORAL_METRICS_BIND', '9465'],
  ])('refuses %s=%s naming the variable', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^${variable}:`));
  });
});
