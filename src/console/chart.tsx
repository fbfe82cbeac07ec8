/** A uPlot line chart of one target's IOPS and throughput, redrawn on every snapshot. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { RatePoint } from './live.js';

export function RateChart({ points, title }: { points: RatePoint[]; title: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = (): uPlot.AlignedData => [points.map((p) => p.t), points.map((p) => p.iops), points.map((p) => p.bps / 1048576)];

  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(260, el.clientWidth);
    const opts: uPlot.Options = {
      title,
      width: width(),
      height: 180,
      series: [{}, { label: 'IOPS', stroke: '#2563eb', width: 2, scale: 'iops' }, { label: 'MiB/s', stroke: '#16a34a', width: 2, scale: 'mib' }],
      axes: [{}, { scale: 'iops', label: 'IOPS' }, { scale: 'mib', side: 1, label: 'MiB/s', grid: { show: false } }],
      scales: { x: { time: true } },
    };
    plot.current = new uPlot(opts, data(), el);
    const resize = () => plot.current?.setSize({ width: width(), height: 180 });
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

  const last = points[points.length - 1];
  return (
    <div class="chart" data-target={title}>
      <div ref={box} />
      <div class="chart-now" data-testid="chart-now">
        now: <span class="iops">{last ? Math.round(last.iops) : 0}</span> IOPS, <span class="mibs">{last ? (last.bps / 1048576).toFixed(2) : '0.00'}</span>{' '}
        MiB/s
        {' · '}points: <span class="points">{points.length}</span>
      </div>
    </div>
  );
}
