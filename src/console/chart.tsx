/** uPlot line charts of one target's load: IOPS and throughput, and read and write latency, redrawn on every snapshot. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { RatePoint } from './live.js';

const HEIGHT = 160;

interface Line {
  label: string;
  stroke: string;
  /** Dashed: a second line on its own scale, so it does not hide the first where they agree. */
  dash?: number[];
  scale: string;
  values: (p: RatePoint) => number | null;
}

/** One uPlot over the points, made once per title and line set, then only fed new data. */
function LineChart({ points, title, lines, testid }: { points: RatePoint[]; title: string; lines: Line[]; testid: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = (): uPlot.AlignedData => [points.map((p) => p.t), ...lines.map((l) => points.map(l.values))];
  const scales = [...new Set(lines.map((l) => l.scale))];

  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(260, el.clientWidth);
    const opts: uPlot.Options = {
      title,
      width: width(),
      height: HEIGHT,
      series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.stroke, width: 2, scale: l.scale, spanGaps: false, ...(l.dash ? { dash: l.dash } : {}) }))],
      axes: [{}, ...scales.map((scale, i) => ({ scale, label: scale, side: i === 0 ? 3 : 1, grid: { show: i === 0 } }))],
      scales: { x: { time: true } },
    };
    plot.current = new uPlot(opts, data(), el);
    const resize = () => plot.current?.setSize({ width: width(), height: HEIGHT });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.current?.destroy();
      plot.current = null;
    };
  }, [title]);

  useEffect(() => {
    plot.current?.setData(data());
  });

  return <div ref={box} data-testid={testid} />;
}

const LOAD: Line[] = [
  { label: 'IOPS', stroke: '#2563eb', scale: 'IOPS', values: (p) => p.iops },
  { label: 'MiB/s', stroke: '#16a34a', scale: 'MiB/s', dash: [6, 4], values: (p) => p.bps / 1048576 },
];

const LATENCY: Line[] = [
  { label: 'read ms', stroke: '#9333ea', scale: 'ms', values: (p) => p.readMs },
  { label: 'write ms', stroke: '#ea580c', scale: 'ms', values: (p) => p.writeMs },
];

function ms(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : v.toFixed(v < 1 ? 3 : 1);
}

export function RateChart({ points, title }: { points: RatePoint[]; title: string }) {
  const last = points[points.length - 1];
  return (
    <div class="chart" data-target={title}>
      <div class="pair">
        <LineChart points={points} title={title} lines={LOAD} testid="load-chart" />
        <LineChart points={points} title={`${title} · latency`} lines={LATENCY} testid="latency-chart" />
      </div>
      <div class="chart-now" data-testid="chart-now">
        now: <span class="iops">{last ? Math.round(last.iops) : 0}</span> IOPS, <span class="mibs">{last ? (last.bps / 1048576).toFixed(2) : '0.00'}</span>{' '}
        MiB/s, read <span class="read-ms">{ms(last?.readMs)}</span> ms, write <span class="write-ms">{ms(last?.writeMs)}</span> ms
        {' · '}points: <span class="points">{points.length}</span>
      </div>
    </div>
  );
}
