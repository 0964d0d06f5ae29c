/**
 * Throughput (runs finished per bucket) and latency (p50 / p95 of run duration) over the last
 * few minutes, from the runs' ends the store counts off the event stream, drawn as a small SVG.
 */
import { useMemo } from 'react';
import { BUCKETS, BUCKET_MS, windowStart } from '../store/run-ends.ts';
import type { RunEnds } from '../store/run-ends.ts';
import { useNow, useStore } from '../store/react.tsx';
import { formatDuration } from './format.ts';

interface Bucket {
  count: number;
  failed: number;
  p50: number | undefined;
  p95: number | undefined;
}

function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The window's buckets ending with the one that holds `now`, oldest first, empty ones included. */
export function computeBuckets(ends: RunEnds, now: number): Bucket[] {
  const first = windowStart(now);
  const byStart = new Map(ends.map((b) => [b.start, b]));
  return Array.from({ length: BUCKETS }, (_, i) => {
    const b = byStart.get(first + i * BUCKET_MS);
    const sorted = [...(b?.durations ?? [])].sort((x, y) => x - y);
    return { count: b?.count ?? 0, failed: b?.failed ?? 0, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
  });
}

export function MetricsChart() {
  const ends = useStore((s) => s.ends);
  const now = useNow(2000);
  const buckets = useMemo(() => computeBuckets(ends, now), [ends, now]);
  const W = 300;
  const H = 74;
  const bw = W / BUCKETS;
  const maxCount = Math.max(1, ...buckets.map((b) => b.count));
  const maxLat = Math.max(1, ...buckets.map((b) => b.p95 ?? 0));
  const total = buckets.reduce((s, b) => s + b.count, 0);
  const last = [...buckets].reverse().find((b) => b.p50 !== undefined);
  const line = (key: 'p50' | 'p95') =>
    buckets
      .map((b, i) => (b[key] === undefined ? null : `${(i * bw + bw / 2).toFixed(1)},${(H - ((b[key] ?? 0) / maxLat) * (H - 6) - 2).toFixed(1)}`))
      .filter((p): p is string => p !== null)
      .join(' ');
  return (
    <div className="ol-card ol-metrics" data-testid="metrics">
      <div className="ol-metrics-head">
        <div>
          <div className="ol-kpi-label">Throughput</div>
          <div className="ol-kpi">
            {(total / ((BUCKETS * BUCKET_MS) / 60_000)).toFixed(1)}
            <small> runs/min</small>
          </div>
        </div>
        <div>
          <div className="ol-kpi-label">Latency p50 / p95</div>
          <div className="ol-kpi">
            {formatDuration(last?.p50)}
            <small> / {formatDuration(last?.p95)}</small>
          </div>
        </div>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" className="ol-metrics-svg" role="img" aria-label="throughput and latency, last 5 minutes">
        {buckets.map((b, i) => {
          const h = (b.count / maxCount) * (H - 6);
          const hf = (b.failed / maxCount) * (H - 6);
          return (
            <g key={i}>
              <rect x={i * bw + 1} y={H - h} width={bw - 2} height={h} rx={1.5} className="ol-m-bar" />
              {hf > 0 && <rect x={i * bw + 1} y={H - hf} width={bw - 2} height={hf} rx={1.5} className="ol-m-bar-fail" />}
            </g>
          );
        })}
        <polyline points={line('p95')} className="ol-m-p95" />
        <polyline points={line('p50')} className="ol-m-p50" />
      </svg>
      <div className="ol-metrics-legend">
        <span className="ol-lg-bar">finished / 10 s</span>
        <span className="ol-lg-fail">failed</span>
        <span className="ol-lg-p50">p50</span>
        <span className="ol-lg-p95">p95</span>
        <span className="ol-muted">last 5 min</span>
      </div>
    </div>
  );
}
