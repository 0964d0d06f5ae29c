/**
 * The live run list: counts per status (which double as filters), a workflow filter, search by
 * id, and a virtualized table that stays smooth with thousands of rows.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { RUN_STATUSES } from '../api/types.ts';
import type { RunStatus, RunSummary } from '../api/types.ts';
import { formatAgo, formatDuration } from '../components/format.ts';
import { MetricsChart } from '../components/metrics-chart.tsx';
import { STATUS_COLOR, STATUS_LABEL, StatusBadge } from '../components/status.tsx';
import { useRouter } from '../router.tsx';
import { useNow, useOrchestrator, useStore } from '../store/react.tsx';

const ROW_H = 44;

export function RunsList() {
  const store = useOrchestrator();
  const listed = useStore((s) => s.runs);
  const filtered = useStore((s) => s.filtered);
  const gatewayCounts = useStore((s) => s.counts);
  const pending = useStore((s) => s.pending);
  const loaded = useStore((s) => s.runsLoaded);
  const loadError = useStore((s) => s.runsError);
  const { navigate } = useRouter();
  const [status, setStatus] = useState<RunStatus | 'ALL'>('ALL');
  const [workflow, setWorkflow] = useState('');
  const [search, setSearch] = useState('');
  const now = useNow(5000);
  // A status or a workflow is filtered by the gateway: the list holds only the newest runs.
  useEffect(() => {
    void store.filterRuns(status === 'ALL' && workflow === '' ? undefined : { ...(status === 'ALL' ? {} : { status }), ...(workflow === '' ? {} : { workflow }) });
  }, [store, status, workflow]);
  const runsMap = filtered?.loaded === true ? filtered.runs : listed;

  const all = useMemo(() => Object.values(runsMap).sort((a, b) => b.createdAt - a.createdAt || (a.runId < b.runId ? 1 : -1)), [runsMap]);
  const listedRows = useMemo(() => Object.values(listed), [listed]);
  const counts = useMemo(() => statusCounts(listedRows, gatewayCounts, workflow), [listedRows, gatewayCounts, workflow]);
  const workflows = useMemo(() => [...new Set([...listedRows.map((r) => r.workflow), ...Object.keys(gatewayCounts ?? {})])].sort(), [listedRows, gatewayCounts]);
  const rows = useMemo(() => {
    const q = search.trim().toLowerCase();
    return all.filter((r) => (status === 'ALL' || r.status === status) && (workflow === '' || r.workflow === workflow) && (q === '' || r.runId.toLowerCase().includes(q)));
  }, [all, status, workflow, search]);

  const parent = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => parent.current, estimateSize: () => ROW_H, overscan: 10 });

  return (
    <div className="ol-page ol-runs">
      <div className="ol-runs-top">
        <StatusCards counts={counts} status={status} onStatus={setStatus} />
        <MetricsChart />
      </div>

      <div className="ol-card ol-table-card">
        <div className="ol-toolbar">
          <input className="ol-input ol-search" placeholder="Search run id…" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="search" aria-label="search by run id" />
          <WorkflowFilter workflows={workflows} workflow={workflow} onWorkflow={setWorkflow} />
          <span className="ol-muted ol-toolbar-count" data-testid="row-count">
            {rows.length} of {all.length}
            {(counts[status] ?? 0) > all.length && ` · the newest of ${counts[status] ?? 0}`}
          </span>
        </div>
        <div className="ol-thead">
          <span>Status</span>
          <span>Run</span>
          <span>Workflow</span>
          <span>Started</span>
          <span>Duration</span>
        </div>
        {pending.map((p) => (
          <PendingRow key={p.tempId} workflow={p.workflow} createdAt={p.createdAt} now={now} />
        ))}
        <div ref={parent} className="ol-tbody" data-testid="runs-table">
          {loaded && rows.length === 0 && pending.length === 0 && (
            <div className="ol-empty">{emptyText(loadError ?? filtered?.error, Object.keys(listed).length === 0 && filtered === undefined)}</div>
          )}
          {!loaded && <div className="ol-empty">Loading runs…</div>}
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const r = rows[item.index];
              if (r === undefined) return null;
              return <RunRow key={r.runId} run={r} now={now} top={item.start} onOpen={() => navigate({ name: 'run', runId: r.runId })} />;
            })}
          </div>
        </div>
      </div>
    </div>
  );
}

/** A card per status with its count; a click filters the list by that status. */
function StatusCards({ counts, status, onStatus }: { counts: Partial<Record<RunStatus | 'ALL', number>>; status: RunStatus | 'ALL'; onStatus: (status: RunStatus | 'ALL') => void }) {
  return (
    <div className="ol-status-cards" role="tablist" aria-label="filter by status">
      {(['ALL', ...RUN_STATUSES] as const).map((s) => (
        <button
          key={s}
          type="button"
          role="tab"
          aria-selected={status === s}
          className={`ol-stat${status === s ? ' ol-stat-on' : ''}`}
          style={{ ['--c' as string]: s === 'ALL' ? '#8ea2ff' : STATUS_COLOR[s] }}
          onClick={() => onStatus(s)}
          data-testid={`count-${s}`}
        >
          <span className="ol-stat-label">{s === 'ALL' ? 'All runs' : STATUS_LABEL[s]}</span>
          <span className="ol-stat-num">{counts[s] ?? 0}</span>
        </button>
      ))}
    </div>
  );
}

function WorkflowFilter({ workflows, workflow, onWorkflow }: { workflows: readonly string[]; workflow: string; onWorkflow: (workflow: string) => void }) {
  return (
    <select className="ol-input" value={workflow} onChange={(e) => onWorkflow(e.target.value)} data-testid="filter-workflow" aria-label="filter by workflow">
      <option value="">All workflows</option>
      {workflows.map((w) => (
        <option key={w} value={w}>
          {w}
        </option>
      ))}
    </select>
  );
}

/** A run started here whose start the gateway has not acknowledged yet. */
function PendingRow({ workflow, createdAt, now }: { workflow: string; createdAt: number; now: number }) {
  return (
    <div className="ol-row ol-row-pending" data-testid="pending-row">
      <span>
        <StatusBadge status="PENDING" />
      </span>
      <span className="ol-mono ol-muted">sending…</span>
      <span>{workflow}</span>
      <span className="ol-muted">{formatAgo(createdAt, now)}</span>
      <span className="ol-muted">—</span>
    </div>
  );
}

function emptyText(error: string | undefined, noRuns: boolean): string {
  if (error !== undefined) return `Could not load runs: ${error}`;
  return noRuns ? 'No runs yet. Start one with “New run”.' : 'No run matches these filters.';
}

/**
 * Runs per status (and ALL) of one workflow, or of all when `workflow` is empty: the gateway's
 * counts when it has sent them (the list keeps only the newest runs), else the list's own.
 */
function statusCounts(all: readonly RunSummary[], gatewayCounts: Readonly<Record<string, Readonly<Record<string, number>>>> | undefined, workflow: string): Record<string, number> {
  const c: Record<string, number> = { ALL: 0 };
  for (const s of RUN_STATUSES) c[s] = 0;
  const add = (status: string, n: number): void => {
    c[status] = (c[status] ?? 0) + n;
    c.ALL = (c.ALL ?? 0) + n;
  };
  if (gatewayCounts !== undefined) {
    for (const [name, byStatus] of Object.entries(gatewayCounts)) if (workflow === '' || name === workflow) for (const [status, n] of Object.entries(byStatus)) add(status, n);
  } else {
    for (const r of all) if (workflow === '' || r.workflow === workflow) add(r.status, 1);
  }
  return c;
}

function RunRow({ run, now, top, onOpen }: { run: RunSummary; now: number; top: number; onOpen: () => void }) {
  const dur = (run.endedAt ?? now) - run.createdAt;
  return (
    <div
      className="ol-row"
      style={{ transform: `translateY(${top}px)`, height: ROW_H }}
      onClick={onOpen}
      role="link"
      tabIndex={0}
      onKeyDown={(e) => e.key === 'Enter' && onOpen()}
      data-testid="run-row"
      data-run-id={run.runId}
      data-status={run.status}
    >
      <span className="ol-status-cell">
        <StatusBadge status={run.status} title={run.error?.message ?? run.queued?.reason} />
        {run.status === 'PENDING' && run.queued !== undefined && (
          <span className="ol-queued" title={`${run.queued.reason} (key ${run.queued.key}, limit ${run.queued.limit}, policy ${run.queued.policy})`} data-testid="queued-reason">
            {run.queued.reason}
          </span>
        )}
      </span>
      <span className="ol-mono" title={run.runId}>
        {run.runId}
      </span>
      <span>{run.workflow}</span>
      <span className="ol-muted" title={new Date(run.createdAt).toISOString()}>
        {formatAgo(run.createdAt, now)}
      </span>
      <span className="ol-mono">{formatDuration(dur)}</span>
    </div>
  );
}
