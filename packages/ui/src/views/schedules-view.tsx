/**
 * Every schedule: its workflow, cron and time zone, the next firing (counting down), its policies
 * and its last runs (live: a run's status follows the stream). Pause and resume (the same body with
 * `paused` toggled), fire now (then a link to the run) and delete (after a confirm). The list is
 * read again when the gateway's stream says the schedules changed, never on a timer.
 */
import { useCallback, useEffect, useState } from 'react';
import type { RunStatus, ScheduleItem, ScheduleLastRun } from '../api/types.ts';
import { shortId } from '../components/format.ts';
import { formatDateTime, formatRelative } from '../components/format-time.ts';
import { STATUS_COLOR, STATUS_LABEL } from '../components/status.tsx';
import { Link } from '../router.tsx';
import { scheduleBody } from '../store/ops.ts';
import { useNow, useOrchestrator, useStore } from '../store/react.tsx';
import { errorMessage } from '../api/client.ts';

export function SchedulesView() {
  const store = useOrchestrator();
  const [items, setItems] = useState<ScheduleItem[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  // The gateway says when the schedules change (written, paused, deleted, fired): read them again then.
  const changedAt = useStore((s) => s.schedulesChangedAt);

  const load = useCallback(async () => {
    try {
      const res = await store.api.listSchedules();
      setItems([...res.items].sort((a, b) => a.name.localeCompare(b.name)));
      setError(undefined);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [store]);

  useEffect(() => {
    void load();
  }, [load, changedAt]);

  return (
    <div className="ol-page" data-testid="schedules-view">
      <div className="ol-card ol-ops-card">
        <div className="ol-ops-head">
          <h1 className="ol-h1">Schedules</h1>
          <span className="ol-muted">{items === undefined ? '' : `${items.length} schedule${items.length === 1 ? '' : 's'}`}</span>
          <button type="button" className="ol-btn ol-btn-small" onClick={() => void load()} data-testid="schedules-refresh">
            ↻ Refresh
          </button>
        </div>
        {error !== undefined && <div className="ol-error-box">Could not load schedules: {error}</div>}
        {items === undefined && error === undefined && <div className="ol-empty">Loading schedules…</div>}
        {items !== undefined && items.length === 0 && (
          <div className="ol-empty">
            No schedules yet. Create one with <span className="ol-mono">PUT /api/v1/schedules/&lt;name&gt;</span> or{' '}
            <span className="ol-mono">orch schedules set &lt;name&gt; --workflow W --cron "*/5 * * * *"</span>.
          </div>
        )}
        {items !== undefined && items.length > 0 && (
          <table className="ol-table" data-testid="schedules-table">
            <thead>
              <tr>
                <th>Schedule</th>
                <th>Cron</th>
                <th>Next fire</th>
                <th>Policies</th>
                <th>Last runs</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <ScheduleRow key={item.name} item={item} onChanged={load} />
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}

function ScheduleRow({ item, onChanged }: { item: ScheduleItem; onChanged: () => Promise<void> }) {
  const now = useNow(1000);
  const [fired, setFired] = useState<string | undefined>(undefined);
  return (
    <tr data-testid="schedule-row" data-name={item.name} data-paused={item.paused}>
      <td>
        <div className="ol-strong">{item.name}</div>
        <div className="ol-small">
          <Link to={{ name: 'workflows', workflow: item.workflow }}>{item.workflow}</Link>
          <span className="ol-muted">{item.version === undefined ? ' · latest' : ` · v${item.version}`}</span>
        </div>
      </td>
      <td>
        <div className="ol-mono">{item.cron}</div>
        <div className="ol-small ol-muted">{item.timezone}</div>
      </td>
      <td data-testid="schedule-next">
        <NextFire item={item} now={now} />
      </td>
      <td className="ol-small">
        <div>
          overlap <b>{item.overlap}</b>
        </div>
        <div>
          catch-up <b>{item.catchup}</b>
        </div>
      </td>
      <td>
        <LastRuns runs={item.lastRuns} now={now} />
        {fired !== undefined && (
          <div className="ol-small" data-testid="schedule-fired">
            fired: <Link to={{ name: 'run', runId: fired }} className="ol-mono" testId="schedule-fired-link">{shortId(fired)}</Link>
          </div>
        )}
      </td>
      <td className="ol-actions-cell">
        <ScheduleActions item={item} onChanged={onChanged} onFired={setFired} />
      </td>
    </tr>
  );
}

/** When a schedule fires next: paused, never, or when. */
function NextFire({ item, now }: { item: ScheduleItem; now: number }) {
  if (item.paused) return <span className="ol-pill ol-pill-paused">paused</span>;
  if (item.nextFireAt === null) return <span className="ol-muted">never</span>;
  return (
    <>
      <div>{formatRelative(item.nextFireAt, now)}</div>
      <div className="ol-small ol-muted ol-mono" title={new Date(item.nextFireAt).toISOString()}>
        {formatDateTime(item.nextFireAt)}
      </div>
    </>
  );
}

/** Pause or resume a schedule, fire it now, or delete it (once confirmed). */
function ScheduleActions({ item, onChanged, onFired }: { item: ScheduleItem; onChanged: () => Promise<void>; onFired: (runId: string) => void }) {
  const store = useOrchestrator();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);

  const act = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    try {
      await fn();
    } catch (err) {
      store.notify('error', `${what} ${item.name}: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
    await onChanged();
  };
  const trigger = async (): Promise<void> => {
    const { runId } = await store.api.triggerSchedule(item.name);
    onFired(runId);
    store.notify('info', `Schedule ${item.name} fired: run ${runId}`);
  };

  return (
    <>
      <button
        type="button"
        className="ol-btn ol-btn-small"
        disabled={busy}
        data-testid="schedule-pause"
        onClick={() => void act(item.paused ? 'Resume' : 'Pause', () => store.api.putSchedule(item.name, scheduleBody(item, !item.paused)))}
      >
        {item.paused ? '▶ Resume' : 'Pause'}
      </button>
      <button type="button" className="ol-btn ol-btn-small" disabled={busy} data-testid="schedule-trigger" onClick={() => void act('Trigger', trigger)}>
        ⚡ Trigger now
      </button>
      {confirming ? (
        <span className="ol-confirm" data-testid="schedule-delete-confirm">
          Delete?{' '}
          <button type="button" className="ol-btn ol-btn-small ol-btn-danger" disabled={busy} data-testid="schedule-delete-yes" onClick={() => void act('Delete', () => store.api.deleteSchedule(item.name))}>
            Yes
          </button>
          <button type="button" className="ol-btn ol-btn-small" onClick={() => setConfirming(false)}>
            No
          </button>
        </span>
      ) : (
        <button type="button" className="ol-btn ol-btn-small ol-btn-danger" disabled={busy} data-testid="schedule-delete" onClick={() => setConfirming(true)}>
          Delete
        </button>
      )}
    </>
  );
}

/** The most recent firings, newest first: a dot per run in its live status, linking to it. */
function LastRuns({ runs, now }: { runs: readonly ScheduleLastRun[]; now: number }) {
  const live = useStore((s) => s.runs);
  if (runs.length === 0) return <span className="ol-muted ol-small">no firings yet</span>;
  return (
    <div className="ol-last-runs" data-testid="schedule-last-runs">
      {runs.slice(0, 8).map((r) => {
        const when = `${r.manual === true ? 'triggered' : 'fired'} ${formatRelative(r.fireAt, now)} (${formatDateTime(r.fireAt)})`;
        if (r.runId === undefined) {
          return (
            <span key={`${r.fireAt}`} className="ol-last-run ol-last-run-skipped" title={`${when}: skipped, ${r.skipped ?? 'no run started'}`}>
              skipped <span className="ol-muted">{formatRelative(r.fireAt, now)}</span>
            </span>
          );
        }
        const status: RunStatus | undefined = live[r.runId]?.status ?? r.status ?? undefined;
        return (
          <Link key={r.runId} to={{ name: 'run', runId: r.runId }} className="ol-last-run" title={`${when}: ${status === undefined ? 'status unknown' : STATUS_LABEL[status]}`} testId="schedule-last-run">
            <i style={{ background: status === undefined ? 'var(--muted)' : STATUS_COLOR[status] }} />
            <span data-status={status}>{status === undefined ? '…' : STATUS_LABEL[status]}</span>
            <span className="ol-muted">{formatRelative(r.fireAt, now)}</span>
            {r.manual === true && <span className="ol-muted" title="triggered by hand">⚡</span>}
          </Link>
        );
      })}
    </div>
  );
}
