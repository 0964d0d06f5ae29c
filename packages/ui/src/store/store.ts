/**
 * The UI's state: a projection of the gateway's event stream, started from a REST snapshot.
 * Nothing here polls. The all-runs feed keeps the run list live; each open run detail has its own
 * stream that resumes with `since=<last seq>` and repairs gaps from `/events?since=`.
 */
import { ApiError, createApi, errorMessage, streamUrl } from '../api/client.ts';
import type { Api } from '../api/client.ts';
import { LiveSocket } from '../api/live-socket.ts';
import type { ConnectionState } from '../api/live-socket.ts';
import type { CountsFrame, RunSummary, SchedulesFrame, StreamFrame, WorkflowSummary } from '../api/types.ts';
import { Coalescer } from './coalesce.ts';
import { FEED_INTERVAL_MS, isFrame, RunFeed } from './run-feed.ts';
import type { RunDetail, RunFeedHost } from './run-feed.ts';
import { SUMMARY_EVENT_TYPES } from './run-reducer.ts';
import { foldFeed, foldFiltered, mergeRows, sameFilter } from './run-list.ts';
import { endsOf, recordEnds, snapshotEnds } from './run-ends.ts';
import type { RunEnds } from './run-ends.ts';
import type { FilteredRuns, RunsFilter } from './run-list.ts';

export type { FilteredRuns, RunsFilter } from './run-list.ts';
export type { RunDetail } from './run-feed.ts';

export interface PendingTrigger {
  tempId: string;
  workflow: string;
  createdAt: number;
}

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  message: string;
}

export interface StoreState {
  connection: ConnectionState;
  runs: Readonly<Record<string, RunSummary>>;
  /** How many runs the gateway holds, by workflow and status (the list keeps only the newest). */
  counts?: CountsFrame['counts'];
  runsLoaded: boolean;
  runsError?: string;
  /** Set while the list is filtered: the runs that match, whether or not they are among `runs`. */
  filtered?: FilteredRuns;
  /** The runs that ended lately, per bucket of time: the live chart's, every run counted. */
  ends: RunEnds;
  /** When the gateway last said the schedules changed (its clock): the schedules page reads them again. */
  schedulesChangedAt?: number;
  pending: readonly PendingTrigger[];
  workflows: readonly WorkflowSummary[];
  workflowsLoaded: boolean;
  details: Readonly<Record<string, RunDetail>>;
  notices: readonly Notice[];
  /** The gateway answered 401: it needs a token this UI does not have (or has a wrong one). */
  authRequired: boolean;
}

const LIST_LIMIT = 1000;
/** The feed asks only for the events a list row changes with. */
const FEED_TYPES = SUMMARY_EVENT_TYPES.join(',');

function isCountsFrame(value: unknown): value is CountsFrame {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.type === 'counts' && typeof v.counts === 'object' && v.counts !== null;
}

function isSchedulesFrame(value: unknown): value is SchedulesFrame {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>).type === 'schedules' && typeof (value as Record<string, unknown>).at === 'number';
}

export class OrchestratorStore {
  readonly api: Api;
  readonly gateway: string;
  private state: StoreState = {
    connection: 'connecting',
    runs: {},
    ends: [],
    runsLoaded: false,
    pending: [],
    workflows: [],
    workflowsLoaded: false,
    details: {},
    notices: [],
    authRequired: false,
  };
  private readonly listeners = new Set<() => void>();
  private feed: LiveSocket | undefined;
  private cursor: string | undefined;
  /** Frames that arrive while the list snapshot loads; applied after it. */
  private feedBuffer: StreamFrame[] | undefined;
  /** Live frames on their way to the list, applied a group at a time. */
  private readonly feedFrames = new Coalescer<StreamFrame>(FEED_INTERVAL_MS, (frames) => this.applyFeed(frames));
  private readonly watchers = new Map<string, { count: number; stop: () => void }>();
  private noticeSeq = 0;
  private tempSeq = 0;

  /** What a watched run's feed reads and changes of this store. */
  private readonly runFeedHost: RunFeedHost;

  constructor(gateway: string, api: Api = createApi(gateway)) {
    this.gateway = gateway;
    this.api = api;
    this.runFeedHost = {
      api,
      gateway,
      detail: (runId) => this.state.details[runId],
      setDetail: (runId, update) => this.setDetail(runId, update),
      needsToken: (err) => this.needsToken(err),
    };
  }

  getState = (): StoreState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(patch: Partial<StoreState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  private setDetail(runId: string, update: (d: RunDetail) => RunDetail): void {
    const cur = this.state.details[runId];
    if (cur === undefined) return;
    this.set({ details: { ...this.state.details, [runId]: update(cur) } });
  }

  // ---- the all-runs feed ------------------------------------------------------------------

  /** Opens the live feed of all runs and loads the list and the workflows. Idempotent. */
  start(): void {
    if (this.feed !== undefined) return;
    this.feedBuffer = [];
    this.feed = new LiveSocket({
      url: () => streamUrl(this.gateway, { cursor: this.cursor, types: FEED_TYPES, counts: 'true', schedules: 'true' }),
      onState: (connection) => this.set({ connection }),
      // 1008: the gateway refused the cursor (say, its topics were re-created): start over from a snapshot.
      onClose: (code) => {
        if (code === 1008) this.cursor = undefined;
      },
      onOpen: (reconnect) => {
        // Without a cursor there is no resume point: take a fresh snapshot and merge it.
        if (!reconnect || this.cursor === undefined) {
          this.feedFrames.drain();
          this.feedBuffer ??= [];
          void this.loadRuns();
        }
      },
      onFrame: (frame) => {
        if (isCountsFrame(frame)) this.set({ counts: frame.counts });
        if (isSchedulesFrame(frame)) this.set({ schedulesChangedAt: frame.at });
        if (!isFrame(frame)) return;
        if (frame.cursor !== undefined) this.cursor = frame.cursor;
        if (this.feedBuffer !== undefined) this.feedBuffer.push(frame);
        else this.feedFrames.push(frame);
      },
    });
    void this.loadWorkflows();
  }

  stop(): void {
    this.feed?.close();
    this.feed = undefined;
    this.feedFrames.clear();
    for (const w of this.watchers.values()) w.stop();
    this.watchers.clear();
  }

  /** On a 401, stops retrying and asks for a token instead (App shows the prompt). */
  private needsToken(err: unknown): boolean {
    if (!(err instanceof ApiError && err.status === 401)) return false;
    this.stop();
    this.set({ authRequired: true });
    return true;
  }

  private async loadRuns(): Promise<void> {
    try {
      const res = await this.api.listRuns({ limit: LIST_LIMIT });
      // The first snapshot's ended runs start the chart; the feed counts every end after it.
      const ends = this.state.runsLoaded ? this.state.ends : recordEnds(this.state.ends, snapshotEnds(res.items), Date.now());
      this.set({ runs: mergeRows(this.state.runs, res.items), ends, runsLoaded: true, runsError: undefined });
    } catch (err) {
      if (this.needsToken(err)) return;
      this.set({ runsLoaded: true, runsError: errorMessage(err) });
    }
    const buffered = this.feedBuffer ?? [];
    this.feedBuffer = undefined;
    this.applyFeed(buffered);
  }

  /**
   * Shows only the runs that match `filter` (none: every run), read from the gateway: the newest
   * that match, which the list may not hold. The feed keeps them live, and a run that comes to
   * match joins them.
   */
  async filterRuns(filter: RunsFilter | undefined): Promise<void> {
    if (filter === undefined || (filter.status === undefined && filter.workflow === undefined)) {
      if (this.state.filtered !== undefined) this.set({ filtered: undefined });
      return;
    }
    const same = (f: FilteredRuns | undefined): f is FilteredRuns => f !== undefined && sameFilter(f.filter, filter);
    if (same(this.getState().filtered)) return;
    this.set({ filtered: { filter, runs: {}, loaded: false } });
    try {
      const res = await this.api.listRuns({ limit: LIST_LIMIT, ...filter });
      // The filter may have changed while the page was read.
      const current = this.getState().filtered;
      if (!same(current)) return;
      this.set({ filtered: { ...current, runs: mergeRows(current.runs, res.items), loaded: true } });
    } catch (err) {
      if (this.needsToken(err)) return;
      const current = this.getState().filtered;
      if (same(current)) this.set({ filtered: { ...current, loaded: true, error: errorMessage(err) } });
    }
  }

  private applyFeed(frames: readonly StreamFrame[]): void {
    if (frames.length === 0) return;
    const runs = foldFeed(this.state.runs, frames);
    const filtered = this.state.filtered === undefined ? undefined : foldFiltered(this.state.filtered, frames, runs);
    const ends = recordEnds(this.state.ends, endsOf(frames, runs), Date.now());
    if (runs !== this.state.runs || filtered !== this.state.filtered || ends !== this.state.ends) this.set({ runs, filtered, ends });
  }

  async loadWorkflows(): Promise<void> {
    try {
      const res = await this.api.listWorkflows();
      this.set({ workflows: res.items, workflowsLoaded: true });
    } catch (err) {
      if (this.needsToken(err)) return;
      this.set({ workflowsLoaded: true });
      this.notify('error', `workflows: ${errorMessage(err)}`);
    }
  }

  // ---- one run ----------------------------------------------------------------------------

  /** Keeps `details[runId]` live while at least one caller watches it; returns the unwatch. */
  watchRun(runId: string): () => void {
    const existing = this.watchers.get(runId);
    if (existing !== undefined) {
      existing.count += 1;
    } else {
      const entry = { count: 1, stop: () => {} };
      this.watchers.set(runId, entry);
      entry.stop = this.openRun(runId);
    }
    return () => {
      const w = this.watchers.get(runId);
      if (w === undefined) return;
      w.count -= 1;
      if (w.count <= 0) {
        w.stop();
        this.watchers.delete(runId);
      }
    };
  }

  private openRun(runId: string): () => void {
    this.set({ details: { ...this.state.details, [runId]: { events: [], lastSeq: 0, loading: true, connection: 'connecting' } } });
    const feed = new RunFeed(runId, this.runFeedHost);
    feed.start();
    return () => {
      feed.stop();
      const details = { ...this.state.details };
      delete details[runId];
      this.set({ details });
    };
  }

  // ---- actions ----------------------------------------------------------------------------

  /**
   * Starts a run optimistically: a pending row shows at once; it becomes the real run on 202, or
   * is rolled back with the server's error message.
   */
  async trigger(workflow: string, input: unknown): Promise<{ ok: true; runId: string } | { ok: false; error: string }> {
    const tempId = `pending-${++this.tempSeq}`;
    const createdAt = Date.now();
    this.set({ pending: [...this.state.pending, { tempId, workflow, createdAt }] });
    const dropPending = (): readonly PendingTrigger[] => this.state.pending.filter((p) => p.tempId !== tempId);
    try {
      const res = await this.api.startRun({ workflow, input });
      const runs = { ...this.state.runs };
      runs[res.runId] ??= { runId: res.runId, workflow, status: 'PENDING', createdAt, updatedAt: createdAt };
      this.set({ pending: dropPending(), runs });
      return { ok: true, runId: res.runId };
    } catch (err) {
      const message = errorMessage(err);
      this.set({ pending: dropPending() });
      this.notify('error', `Could not start ${workflow}: ${message}`);
      return { ok: false, error: message };
    }
  }

  async cancel(runId: string): Promise<void> {
    try {
      await this.api.cancelRun(runId);
      this.notify('info', `Cancel requested for ${runId}`);
    } catch (err) {
      this.notify('error', `Cancel failed: ${errorMessage(err)}`);
    }
  }

  async retry(runId: string): Promise<void> {
    try {
      await this.api.retryRun(runId);
      this.notify('info', `Retry requested for ${runId}`);
    } catch (err) {
      this.notify('error', `Retry failed: ${errorMessage(err)}`);
    }
  }

  /** Sends a signal; true when the gateway accepted it. */
  async signal(runId: string, name: string, payload: unknown): Promise<boolean> {
    try {
      await this.api.sendSignal(runId, name, payload);
      this.notify('info', `Signal "${name}" sent to ${runId}`);
      return true;
    } catch (err) {
      this.notify('error', `Signal failed: ${errorMessage(err)}`);
      return false;
    }
  }

  notify(kind: Notice['kind'], message: string): void {
    const id = ++this.noticeSeq;
    this.set({ notices: [...this.state.notices, { id, kind, message }].slice(-4) });
    setTimeout(() => this.dismiss(id), kind === 'error' ? 8000 : 4000);
  }

  dismiss(id: number): void {
    if (!this.state.notices.some((n) => n.id === id)) return;
    this.set({ notices: this.state.notices.filter((n) => n.id !== id) });
  }
}
