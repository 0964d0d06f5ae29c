/**
 * A Gantt chart of every attempt of every step: queue time (scheduled → started) in a light tint,
 * run time in the attempt's colour, and the retry wait that followed a failure as a hatched band.
 */
import { useMemo } from 'react';
import type { AttemptView, RunView, StepView } from '../api/types.ts';
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

/** Where a time falls on the track and how wide a stretch of time is, both as CSS percentages. */
interface Scale {
  pct: (t: number) => string;
  width: (a: number, b: number) => string;
}

/** The left offset of a tick `t` ms after the start, as a CSS percentage. */
function tickLeft(t: number, span: number): string {
  return `${((t / span) * 100).toFixed(3)}%`;
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
  const scale: Scale = {
    pct: (t) => `${(((t - start) / span) * 100).toFixed(3)}%`,
    width: (a, b) => `${Math.max(0.25, ((b - a) / span) * 100).toFixed(3)}%`,
  };
  return (
    <div className="ol-timeline" data-testid="timeline">
      <div className="ol-tl-axis">
        <div className="ol-tl-label" />
        <div className="ol-tl-track">
          {tickList.map((t) => (
            <span key={t} className="ol-tl-tick" style={{ left: tickLeft(t, span) }}>
              {formatDuration(t)}
            </span>
          ))}
        </div>
      </div>
      {order.map((id) => (
        <TimelineRow key={id} id={id} step={run.steps[id]} tickList={tickList} span={span} end={end} scale={scale} onSelect={onSelect} />
      ))}
    </div>
  );
}

/** One step's row: its name and status colour, the grid lines, and a bar per attempt. */
function TimelineRow(props: {
  id: string;
  step: StepView | undefined;
  tickList: number[];
  span: number;
  end: number;
  scale: Scale;
  onSelect: ((stepId: string) => void) | undefined;
}) {
  const { id, step, tickList, span, end, scale, onSelect } = props;
  return (
    <div className="ol-tl-row" onClick={() => onSelect?.(id)}>
      <div className="ol-tl-label" title={id}>
        <i style={{ background: STATUS_COLOR[step?.status ?? 'PENDING'] }} />
        {id}
      </div>
      <div className="ol-tl-track">
        {tickList.map((t) => (
          <div key={t} className="ol-tl-grid" style={{ left: tickLeft(t, span) }} />
        ))}
        {(step?.attempts ?? []).map((a) => (
          <AttemptBars key={a.attempt} id={id} a={a} end={end} scale={scale} />
        ))}
      </div>
    </div>
  );
}

/** One attempt: its queue time, any redeliveries, its run time, and the retry wait after it. */
function AttemptBars({ id, a, end, scale }: { id: string; a: AttemptView; end: number; scale: Scale }) {
  const { pct, width } = scale;
  const began = a.startedAt ?? a.scheduledAt;
  const stop = a.endedAt ?? end;
  const c = STATUS_COLOR[a.status];
  return (
    <div>
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
}
