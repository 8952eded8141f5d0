/**
 * The `timeline` event as three charts: calls placed and answered per minute, the answer rate, and
 * the share of agents busy. The server sends at most 120 points and each event replaces the last.
 */
import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import type { TimelineEvent } from '../../api/types';
import { Chart } from '../../components/Chart';
import { formatCount, formatShare } from '../../format';

const BLUE = '#2563eb';
const GREEN = '#15803d';
const AMBER = '#b45309';

/** A young campaign's few buckets are drawn on an axis of at least this many. */
const MIN_BUCKETS_SHOWN = 6;

const share = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);
const percentOf = (value: number | null): number | null => (value === null ? null : value * 100);

export function TimelineCharts({ timeline }: { timeline: TimelineEvent | null }) {
  const charts = useMemo(() => {
    if (timeline === null || timeline.points.length === 0) return null;
    const { points, bucketSec } = timeline;
    const perMinute = 60 / bucketSec;
    const xs = points.map((p) => p.at / 1000);
    const last = points.at(-1)!;
    return {
      minSpanSec: MIN_BUCKETS_SHOWN * bucketSec,
      calls: [xs, points.map((p) => p.placed * perMinute), points.map((p) => p.answered * perMinute)] as uPlot.AlignedData,
      answerRate: [xs, points.map((p) => percentOf(share(p.answered, p.placed)))] as uPlot.AlignedData,
      busy: [xs, points.map((p) => percentOf(p.busyShare))] as uPlot.AlignedData,
      latest: {
        calls: `Latest: ${formatCount(last.placed * perMinute)} placed and ${formatCount(last.answered * perMinute)} answered per minute.`,
        answerRate: `Latest: ${formatShare(share(last.answered, last.placed))}.`,
        busy: `Latest: ${formatShare(last.busyShare)}.`,
      },
    };
  }, [timeline]);

  return (
    <div class="card">
      <h2>Activity</h2>
      {charts === null ? (
        <p class="empty">No calls yet: the charts start with the first call.</p>
      ) : (
        <div class="charts">
          <Chart
            title="Calls per minute"
            summary={charts.latest.calls}
            series={[
              { label: 'Placed', stroke: BLUE },
              { label: 'Answered', stroke: GREEN },
            ]}
            data={charts.calls}
            yLabel="calls / min"
            minSpanSec={charts.minSpanSec}
            testId="chart-calls"
          />
          <Chart
            title="Answer rate"
            summary={charts.latest.answerRate}
            series={[{ label: 'Answered', stroke: GREEN }]}
            data={charts.answerRate}
            yRange={[0, 100]}
            yLabel="%"
            minSpanSec={charts.minSpanSec}
            testId="chart-answer-rate"
          />
          <Chart
            title="Agents busy"
            summary={charts.latest.busy}
            series={[{ label: 'Busy', stroke: AMBER }]}
            data={charts.busy}
            yRange={[0, 100]}
            yLabel="%"
            minSpanSec={charts.minSpanSec}
            testId="chart-busy"
          />
        </div>
      )}
    </div>
  );
}
