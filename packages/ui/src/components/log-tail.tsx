/**
 * The tail of a run's StepLog events, virtualized with @tanstack/react-virtual so that tens of
 * thousands of lines stay cheap. It follows new lines while the reader is at the bottom and stops
 * following as soon as they scroll up.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { RunEvent, RunEventOf } from '../api/types.ts';
import { formatClock } from './format.ts';

const ROW_H = 22;

export function LogTail({ events, stepFilter }: { events: readonly RunEvent[]; stepFilter?: string }) {
  const lines = useMemo(
    () =>
      events.filter((e): e is RunEventOf<'StepLog'> => e.type === 'StepLog' && (stepFilter === undefined || e.data.stepId === stepFilter)),
    [events, stepFilter],
  );
  const parent = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const virtualizer = useVirtualizer({ count: lines.length, getScrollElement: () => parent.current, estimateSize: () => ROW_H, overscan: 12 });

  useEffect(() => {
    if (follow && lines.length > 0) virtualizer.scrollToIndex(lines.length - 1, { align: 'end' });
  }, [lines.length, follow, virtualizer]);

  return (
    <div className="ol-logs-wrap">
      <div
        ref={parent}
        className="ol-logs"
        data-testid="log-tail"
        data-lines={lines.length}
        onScroll={(e) => {
          const el = e.currentTarget;
          setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < ROW_H * 2);
        }}
      >
        {lines.length === 0 && <div className="ol-empty-small">No log lines yet.</div>}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const e = lines[item.index];
            if (e === undefined) return null;
            return (
              <div key={item.key} className={`ol-log ol-log-${e.data.level}`} style={{ transform: `translateY(${item.start}px)`, height: ROW_H }}>
                <span className="ol-log-time">{formatClock(e.at)}</span>
                <span className="ol-log-step">
                  {e.data.stepId}#{e.data.attempt}
                </span>
                <span className="ol-log-level">{e.data.level}</span>
                <span className="ol-log-msg">
                  {e.data.message}
                  {e.data.fields !== undefined && <span className="ol-log-fields"> {JSON.stringify(e.data.fields)}</span>}
                </span>
              </div>
            );
          })}
        </div>
      </div>
      {!follow && (
        <button type="button" className="ol-btn ol-btn-small ol-logs-follow" onClick={() => setFollow(true)}>
          ↓ Follow new lines
        </button>
      )}
    </div>
  );
}
