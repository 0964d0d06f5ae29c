/**
 * A Gantt chart of every attempt of every step: queue time (scheduled → started) in a light tint,
 * run time in the attempt's colour, and the retry wait that followed a failure as a hatched band.
 */
import { useMemo } from 'react';
import type { RunView } from '../api/types.ts';
import { useNow } from '../store/react.tsx';
import { isTerminalRun } from '../store/run-reducer.ts';
import { formatDuration } from './format.ts';
import { STATUS_COLOR } from './status.tsx';

function ticks(span: number): number[] {
  const steps = [100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];
  const step = steps.find((s) => span / s <= 8) ?? span / 8;
  const out: number[] = [];
  for (let t = 0; t <= span && out.length < 20; t += step) out.push(t);
  return out;
}

export function Timeline({ run, onSelect }: { run: RunView; onSelect?: (stepId: string) => void }) {
  const live = !isTerminalRun(run.status);
  const now = useNow(250, live);
  const start = run.createdAt;
  const end = live ? Math.max(now, run.updatedAt) : run.updatedAt;
  // A little room after the last event, so the final (often instant) attempts stay visible.
  const span = Math.max(end - start, 1) * 1.03;
  const tickList = ticks(span);
  const order = useMemo(() => run.definition.steps.map((s) => s.id), [run.definition]);
  const pct = (t: number) => `${(((t - start) / span) * 100).toFixed(3)}%`;
  const width = (a: number, b: number) => `${Math.max(0.25, ((b - a) / span) * 100).toFixed(3)}%`;
  return (
    <div className="ol-timeline" data-testid="timeline">
      <div className="ol-tl-axis">
        <div className="ol-tl-label" />
        <div className="ol-tl-track">
          {tickList.map((t) => (
            <span key={t} className="ol-tl-tick" style={{ left: `${((t / span) * 100).toFixed(3)}%` }}>
              {formatDuration(t)}
            </span>
          ))}
        </div>
      </div>
      {order.map((id) => {
        const step = run.steps[id];
        return (
          <div key={id} className="ol-tl-row" onClick={() => onSelect?.(id)}>
            <div className="ol-tl-label" title={id}>
              <i style={{ background: STATUS_COLOR[step?.status ?? 'PENDING'] }} />
              {id}
            </div>
            <div className="ol-tl-track">
              {tickList.map((t) => (
                <div key={t} className="ol-tl-grid" style={{ left: `${((t / span) * 100).toFixed(3)}%` }} />
              ))}
              {(step?.attempts ?? []).map((a) => {
                const began = a.startedAt ?? a.scheduledAt;
                const stop = a.endedAt ?? (live ? end : run.updatedAt);
                const c = STATUS_COLOR[a.status];
                return (
                  <div key={a.attempt}>
                    {a.startedAt !== undefined && a.startedAt > a.scheduledAt && (
                      <div className="ol-tl-queue" style={{ left: pct(a.scheduledAt), width: width(a.scheduledAt, a.startedAt) }} />
                    )}
                    {(a.redeliveries ?? []).map((r) => (
                      <div
                        key={`redelivery-${r.at}`}
                        className="ol-tl-lost"
                        data-testid={`redelivery-${id}-${a.attempt}`}
                        style={{ left: pct(r.previousStartedAt), width: width(r.previousStartedAt, r.at) }}
                        title={`attempt ${a.attempt} redelivered to ${r.toWorkerId}: ${r.fromWorkerId} stopped answering after ${formatDuration(r.at - r.previousStartedAt)}`}
                      >
                        <span>redelivered</span>
                      </div>
                    ))}
                    <div
                      className={`ol-tl-bar${a.endedAt === undefined ? ' ol-tl-bar-open' : ''}`}
                      data-testid={`bar-${id}-${a.attempt}`}
                      style={{ left: pct(began), width: width(began, stop), background: c }}
                      title={`${id} attempt ${a.attempt}: ${a.status} · ${formatDuration(stop - began)}${a.error ? ` · ${a.error.message}` : ''}`}
                    >
                      <span>#{a.attempt}</span>
                    </div>
                    {a.retry !== undefined && (
                      <div
                        className="ol-tl-wait"
                        style={{ left: pct(a.endedAt ?? a.retry.dueAt - a.retry.delayMs), width: width(a.endedAt ?? a.retry.dueAt - a.retry.delayMs, Math.min(a.retry.dueAt, end)) }}
                        title={`retry wait ${formatDuration(a.retry.delayMs)}`}
                      />
                    )}
                  </div>
                );
              })}
            </div>
          </div>
        );
      })}
    </div>
  );
}
