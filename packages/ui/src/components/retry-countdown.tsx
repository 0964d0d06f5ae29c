/** Counts down to a step's next attempt and explains the delay recorded in RetryScheduled. */
import type { EventDataMap } from '../api/types.ts';
import { useNow } from '../store/react.tsx';
import { formatDuration } from './format.ts';

type Retry = EventDataMap['RetryScheduled'];

export function retryExplanation(r: Retry): string {
  const base = r.retryAfterMs !== undefined ? `retry-after ${formatDuration(r.retryAfterMs)}` : `base ${formatDuration(r.baseDelayMs)}`;
  const sign = r.jitterMs >= 0 ? '+' : '−';
  return `${base} ${sign} ${r.jitter} jitter ${formatDuration(Math.abs(r.jitterMs))} = ${formatDuration(r.delayMs)}`;
}

export function RetryCountdown({ retry, compact = false }: { retry: Retry; compact?: boolean }) {
  const now = useNow(100);
  const left = Math.max(0, retry.dueAt - now);
  const fraction = retry.delayMs > 0 ? Math.min(1, 1 - left / retry.delayMs) : 1;
  return (
    <div className={`ol-countdown${compact ? ' ol-countdown-compact' : ''}`} data-testid="retry-countdown" title={retryExplanation(retry)}>
      <div className="ol-countdown-row">
        <span>⟳ attempt {retry.nextAttempt} in</span>
        <strong data-testid="retry-countdown-left">{left > 0 ? `${(left / 1000).toFixed(1)} s` : 'due'}</strong>
      </div>
      <div className="ol-bar ol-bar-amber">
        <div style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      {!compact && <div className="ol-countdown-why">{retryExplanation(retry)}</div>}
    </div>
  );
}
