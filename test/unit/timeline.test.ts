/** The console's timeline: bounded buckets over the campaign's life, and the busy share of the agents. */
import { bucketSecFor, busyShareOf, TIMELINE_POINTS, timelinePoints, timelineWindow } from '../../src/api/campaignFeed';

const T0 = Date.UTC(2030, 0, 1, 9, 0, 3);

describe('timeline', () => {
  it('uses 10 s buckets for the first 20 minutes, then minutes', () => {
    expect(bucketSecFor(T0, T0 + 20 * 60_000)).toBe(10);
    expect(bucketSecFor(T0, T0 + 20 * 60_000 + 1)).toBe(60);
  });

  it('spans from the bucket of the start to the bucket of now, at most TIMELINE_POINTS of them', () => {
    expect(timelineWindow(T0, T0 + 25_000, 10)).toEqual({ from: T0 - 3_000, to: T0 + 20_000 - 3_000 });
    const long = timelineWindow(T0, T0 + 10 * 3_600_000, 60);
    expect((long.to - long.from) / 60_000 + 1).toBe(TIMELINE_POINTS);
    const points = timelinePoints(long, 60, [], new Map());
    expect(points).toHaveLength(TIMELINE_POINTS);
  });

  it('fills every bucket, empty ones with zeros, and averages the busy samples of each', () => {
    const window = { from: 0, to: 30_000 };
    const points = timelinePoints(window, 10, [{ at: 10_000, placed: 4, answered: 1 }], new Map([[20_000, { sum: 1.5, n: 2 }]]));
    expect(points).toEqual([
      { at: 0, placed: 0, answered: 0, busyShare: null },
      { at: 10_000, placed: 4, answered: 1, busyShare: null },
      { at: 20_000, placed: 0, answered: 0, busyShare: 0.75 },
      { at: 30_000, placed: 0, answered: 0, busyShare: null },
    ]);
  });

  it('counts the busy share among logged-in agents (on a call or busy), none logged in: null', () => {
    expect(busyShareOf({ idle: 1, onCall: 2, busy: 1, offline: 6 })).toBe(0.75);
    expect(busyShareOf({ idle: 0, onCall: 0, busy: 0, offline: 3 })).toBeNull();
  });
});
