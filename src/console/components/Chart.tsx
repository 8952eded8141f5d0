/**
 * A uPlot line chart over time. Made once per mount; new data replaces the old (setData), and the
 * width follows the container. Screen readers get the title and a summary instead of the canvas.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  stroke: string;
}

interface ChartProps {
  title: string;
  /** What the latest values are, in words. */
  summary: string;
  series: ChartSeries[];
  /** x (epoch seconds), then one array per series. */
  data: uPlot.AlignedData;
  /** A fixed y range (percentages); otherwise from zero to the data's top. */
  yRange?: [number, number];
  yLabel: string;
  /** The time axis spans at least this many seconds, so that a lone point is not spread over days. */
  minSpanSec: number;
  testId: string;
}

const HEIGHT = 180;


function xRange(xs: ArrayLike<number>, min: number, max: number, minSpanSec: number): [number, number] {
  if (xs.length === 0) return [min, max];
  const last = xs[xs.length - 1]!;
  return [Math.min(xs[0]!, last - minSpanSec), last];
}

export function Chart({ title, summary, series, data, yRange, yLabel, minSpanSec, testId }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = box.current!;
    const options: uPlot.Options = {
      width: element.clientWidth,
      height: HEIGHT,
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2 }))],
      scales: {
        // From the data, not uPlot's min and max: for a lone point those span 1,000 days.
        x: { time: true, range: (u, min, max) => xRange(u.data[0], min, max, minSpanSec) },
        y: { range: yRange ?? ((_u, _min, max) => [0, Math.max(1, max)]) },
      },
      axes: [{}, { label: yLabel, size: 50 }],
      cursor: { drag: { x: false, y: false } },
    };
    plot.current = new uPlot(options, data, element);
    const resized = new ResizeObserver(() => plot.current?.setSize({ width: element.clientWidth, height: HEIGHT }));
    resized.observe(element);
    return () => {
      resized.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Made once: the series and scales of a chart do not change; data does, below.
  }, []);

  useEffect(() => plot.current?.setData(data), [data]);

  return (
    <figure class="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}. ${summary}`} />
    </figure>
  );
}
