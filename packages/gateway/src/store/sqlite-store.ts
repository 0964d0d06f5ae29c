/**
 * The read store in a local SQLite file (better-sqlite3, WAL). One table of runs in the order they
 * arrived (the projected view as JSON, its definition held once in `definitions`, plus the
 * indexed columns a list filters and sorts on, unique by run id), one of events keyed
 * (partition, offset), as they arrive, with a unique index by (run number, seq) for a run's
 * history (`run_keys` numbers the runs), counters kept in the batch's transaction (so a metrics
 * scrape reads a few rows, not every run), and the per-partition checkpoint. Memory holds a
 * bounded cache of recently written views.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { RunEvent, RunStatus, RunSummary, RunView, StepStatus } from '@orchestrator-lite/core/projection';
import { applyEvent, isTerminalRunStatus, RUN_STATUSES, STEP_STATUSES } from '@orchestrator-lite/core/projection';
import { foldBatch, runCountKey, splitRunCountKey, summaryColumns } from './fold.js';
import type { CountDelta } from './fold.js';
import { ViewCache } from './view-cache.js';
import { DEFINITIONS_SCHEMA, StoredDefinitions, viewText } from './stored-definitions.js';
import { zeroCounts } from './types.js';
import type { AcceptedListener, BatchResult, IncomingRecord, ReadStore, RunListQuery, RunListResult, StoredEvent } from './types.js';

const EVENTS_COLUMNS = `run_id TEXT NOT NULL, seq INTEGER NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
  type TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL`;

/**
 * Each run's number, given in the order runs first arrive: a run's events are indexed by it, not
 * by its id. Ids are random when clients choose them (an idempotency key's run id is a hash), and
 * an index on (run_id, seq) took each event to a page of its own: a commit wrote a page of the
 * index for each run it touched. By number the runs in flight share the index's last pages, and
 * only this table's index on the id takes a scattered insert, once a run.
 * `node bench/read-store-write.mjs --base=REV --ids=keyed`: 0.75× the CPU per event (chain10
 * runs), 0.83× (chain3); with the ids the gateway makes (time-ordered) within the noise.
 */
const RUN_KEYS_COLUMNS = 'key INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE';

const RUNS_COLUMNS = `run_id TEXT NOT NULL UNIQUE, workflow TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_seq INTEGER NOT NULL, error TEXT, view TEXT NOT NULL`;

const RUNS_INDEXES = `
CREATE INDEX IF NOT EXISTS runs_newest ON runs (created_at DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status, created_at DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS runs_workflow ON runs (workflow, status, created_at DESC, run_id DESC);
`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint (partition INTEGER PRIMARY KEY, next INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (${RUNS_COLUMNS});
${RUNS_INDEXES}
CREATE TABLE IF NOT EXISTS events (${EVENTS_COLUMNS}, run_key INTEGER, PRIMARY KEY (partition, offset)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run_keys (${RUN_KEYS_COLUMNS});
CREATE TABLE IF NOT EXISTS run_counts (workflow TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (workflow, status)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS step_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
`;

/**
 * What the retention sweep needs, added to a store file written before it when it is opened:
 * - `runs.step_statuses`, each run's steps per status (`{"SUCCEEDED":2}`), so a sweep takes a
 *   run's share off the step counters without parsing its view, whose size grows with inline
 *   inputs and outputs. A row written before the column has it NULL, and its view is read once
 *   instead (`stepsOf`).
 * - the ended runs by end time: a partial index, which runs in flight (whose rows change with
 *   every event) never touch, covering what a sweep reads of a run;
 * - the ids of deleted runs, with their end times (see fold.ts).
 */
const RETENTION_SCHEMA = `
CREATE INDEX IF NOT EXISTS runs_ended ON runs (updated_at, workflow, status) WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED');
CREATE TABLE IF NOT EXISTS expired_runs (run_id TEXT PRIMARY KEY, ended_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS expired_runs_ended ON expired_runs (ended_at);
`;

/**
 * Events were once keyed (run_id, seq), with a unique (partition, offset) index. Run ids are
 * random, so each insert went to a page of its own of the whole table, rows and all: a batch
 * dirtied a page per event. Keyed by their position they are appended, a partition's to the end
 * of its range, and only the small index of each run's events took the scattered inserts (now
 * fewer: see RUN_KEYS_COLUMNS). A file with the old key is rewritten once, when opened.
 */
const EVENTS_BY_POSITION = `
CREATE TABLE events_by_position (${EVENTS_COLUMNS}, PRIMARY KEY (partition, offset)) WITHOUT ROWID;
INSERT INTO events_by_position (run_id, seq, partition, offset, type, at, data)
  SELECT run_id, seq, partition, offset, type, at, data FROM events ORDER BY partition, offset;
DROP TABLE events;
ALTER TABLE events_by_position RENAME TO events;
`;

/**
 * Runs were once keyed by their id (WITHOUT ROWID): a row, its view and all (a few KB), went to a
 * random page of the whole table, so each new run and each change of one dirtied a page of its
 * own, and full pages split. SQLite advises WITHOUT ROWID only for rows under a twentieth of a
 * page. In the order they arrive, the runs in flight share the table's last pages, and only the
 * small unique index on the id takes the scattered inserts. `node bench/read-store-write.mjs`:
 * 0.89× the CPU per event for 10-step runs, about 0.8× for 3-step ones, whose rows weigh more.
 * A file with the old table is rewritten once, when opened; the old table's indexes go with it
 * and are made again.
 */
const RUNS_BY_ARRIVAL = `
CREATE TABLE runs_by_arrival (${RUNS_COLUMNS}, step_statuses TEXT);
INSERT INTO runs_by_arrival (run_id, workflow, version, status, created_at, updated_at, last_seq, error, view, step_statuses)
  SELECT run_id, workflow, version, status, created_at, updated_at, last_seq, error, view, step_statuses FROM runs ORDER BY created_at, run_id;
DROP TABLE runs;
ALTER TABLE runs_by_arrival RENAME TO runs;
${RUNS_INDEXES}
`;

/**
 * Events were once indexed by (run_id, seq). A file of then has its runs numbered, in the order of
 * their ids (its runs have all arrived), and its events indexed by number; the index by id goes.
 */
const EVENTS_BY_RUN_KEY = `
INSERT OR IGNORE INTO run_keys (run_id) SELECT DISTINCT run_id FROM events ORDER BY run_id;
ALTER TABLE events ADD COLUMN run_key INTEGER;
UPDATE events SET run_key = (SELECT key FROM run_keys WHERE run_keys.run_id = events.run_id);
DROP INDEX IF EXISTS events_run;
`;

/** A table a file of an earlier release holds in another shape, and how it is rewritten. */
interface TableRewrite {
  table: 'runs' | 'events';
  ddl: string;
  /** What the rewrite does to `rows` rows, said before it starts ("rewriting the read store's …"). */
  doing(rows: number): string;
  /** What it did, said once the file is up to date. */
  done(rows: number, ms: number): string;
}

const RUNS_REWRITE: TableRewrite = {
  table: 'runs',
  ddl: RUNS_BY_ARRIVAL,
  doing: (rows) => `rewriting the read store's ${rows} runs in the order they arrived`,
  done: (rows, ms) => `rewrote the read store's ${rows} runs in ${ms} ms`,
};

const EVENTS_REWRITE: TableRewrite = {
  table: 'events',
  ddl: EVENTS_BY_POSITION,
  doing: (rows) => `re-keying the read store's ${rows} events by their position`,
  done: (rows, ms) => `re-keyed the read store's ${rows} events in ${ms} ms`,
};

const EVENTS_RUN_KEY_REWRITE: TableRewrite = {
  table: 'events',
  ddl: EVENTS_BY_RUN_KEY,
  doing: (rows) => `indexing the read store's ${rows} events by run number`,
  done: (rows, ms) => `indexed the read store's ${rows} events by run number in ${ms} ms`,
};

/** Rewrites one table, saying so first; returns what to say once the file is up to date. */
function rewriteTable(db: Database.Database, rewrite: TableRewrite, say: (note: string) => void): string {
  const count = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${rewrite.table}`);
  RETAINED.push(count);
  const rows = count.get()?.n ?? 0;
  say(`${rewrite.doing(rows)}, once (a file of an earlier release)`);
  const started = performance.now();
  db.exec(rewrite.ddl);
  return rewrite.done(rows, Math.round(performance.now() - started));
}

/** Brings a file written by an earlier release up to this one's schema; `say` tells what takes long. */
function migrate(db: Database.Database, say: (note: string) => void): void {
  const probe = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM pragma_table_info('runs') WHERE name = 'step_statuses'");
  // The primary key's columns in key order (pk is their rank, 0 for the others).
  const eventsKey = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('events') WHERE pk > 0 ORDER BY pk");
  // A rowid table has no primary key column; the old runs table had run_id.
  const runsKeyed = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM pragma_table_info('runs') WHERE pk > 0");
  const eventsNumbered = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM pragma_table_info('events') WHERE name = 'run_key'");
  const definitionNumbered = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM pragma_table_info('runs') WHERE name = 'definition_id'");
  // Kept reachable for the same reason as a closed store's statements (see `close`).
  RETAINED.push(probe, eventsKey, runsKeyed, eventsNumbered, definitionNumbered);
  const done: string[] = [];
  db.transaction(() => {
    if (probe.get()?.n === 0) db.exec('ALTER TABLE runs ADD COLUMN step_statuses TEXT');
    if (runsKeyed.get()?.n !== 0) done.push(rewriteTable(db, RUNS_REWRITE, say));
    db.exec(RETENTION_SCHEMA);
    if (eventsKey.all().map((c) => c.name).join() !== 'partition,offset') done.push(rewriteTable(db, EVENTS_REWRITE, say));
    if (eventsNumbered.get()?.n === 0) done.push(rewriteTable(db, EVENTS_RUN_KEY_REWRITE, say));
    db.exec('CREATE UNIQUE INDEX IF NOT EXISTS events_by_run_number ON events (run_key, seq)');
    // Rows written before it hold their definition in their view, and are read as they are.
    if (definitionNumbered.get()?.n === 0) db.exec('ALTER TABLE runs ADD COLUMN definition_id INTEGER');
    db.exec(DEFINITIONS_SCHEMA);
  }).immediate();
  for (const note of done) say(note);
}

/** A view's steps per status, as `runs.step_statuses` holds them. */
function stepStatusesOf(view: RunView): string {
  const counts: Partial<Record<StepStatus, number>> = {};
  for (const step of Object.values(view.steps)) counts[step.status] = (counts[step.status] ?? 0) + 1;
  return JSON.stringify(counts);
}

/** Statements of closed stores, never collected (see `close`). */
const RETAINED: unknown[] = [];

/**
 * Events a run's stored row may lag behind its view: a run is read back by folding its events
 * after the row (see `loadRun`), so this bounds that fold, and how far a list row's watermarks
 * can lag after a crash (a store that closes writes the rows that lag).
 */
export const VIEW_LAG_EVENTS = 32;

/**
 * A run as the store holds it in memory: its current view, and the seq up to which its row is
 * written (the row lags while the run's status and list columns stay as they are).
 */
interface CachedRun {
  view: RunView;
  storedSeq: number;
  /** Its number in `run_keys`, once the store has looked it up or given it. */
  key?: number | undefined;
}

/** Whether the run's row on file is behind its view in memory. */
function lags(run: CachedRun): boolean {
  return run.storedSeq < run.view.lastSeq;
}

/**
 * Whether a batch must write a run's row (the view JSON and every column) or may leave it as it
 * is. The row is what costs (its JSON, and its bytes in the page, which SQLite rewrites whole to
 * change even one column), so it is written for a new run, when a column other than the
 * watermarks (`updated_at`, `last_seq`) changes (the list indexes move), when the run is PENDING
 * (a list reads `queued` from the stored view) or ended (the retention sweep reads the ended
 * runs' rows), and when it lags by VIEW_LAG_EVENTS; between those, the events the batch keeps
 * are the row's changelog, and a list takes the watermarks of the runs in memory from there.
 */
function needsWholeRow(before: CachedRun, view: RunView): boolean {
  const old = before.view;
  if (old.status !== view.status || old.workflow !== view.workflow || old.version !== view.version || old.createdAt !== view.createdAt || old.error !== view.error) return true;
  if (view.status === 'PENDING' || isTerminalRunStatus(view.status)) return true;
  return view.lastSeq - before.storedSeq >= VIEW_LAG_EVENTS;
}

/** A batch waiting for its group's transaction. */
interface QueuedBatch {
  partition: number;
  records: readonly IncomingRecord[];
  nextOffset: number;
  onAccepted: AcceptedListener | undefined;
  resolve(result: BatchResult): void;
  reject(error: unknown): void;
}

/** A batch written in its savepoint: its result, the runs it leaves, the counters it moves. */
interface AppliedBatch {
  result: BatchResult;
  held: Map<string, CachedRun>;
  counts: CountDelta;
}

function addCounts(into: CountDelta, from: CountDelta): void {
  for (const [key, n] of from.runs) into.runs.set(key, (into.runs.get(key) ?? 0) + n);
  for (const [status, n] of from.steps) into.steps.set(status, (into.steps.get(status) ?? 0) + n);
}

/** What the store holds of the runs of one batch's events. */
interface RunsOfBatch {
  views: Map<string, RunView>;
  loaded: Map<string, CachedRun>;
  lastSeqs: Map<string, number>;
  /** When each run the store has expired ended. */
  expired: Map<string, number>;
  /** Each run's number: null for a run that has none yet, absent for a loaded run whose number is not known. */
  keys: Map<string, number | null>;
}

interface RunRow {
  run_id: string;
  workflow: string;
  version: number;
  status: RunStatus;
  created_at: number;
  updated_at: number;
  last_seq: number;
  error: string | null;
  /** A PENDING run's `queued`, as JSON text, read from its view. */
  queued?: string | null;
}

interface EventRow {
  run_id: string;
  seq: number;
  partition: number;
  offset: number;
  type: string;
  at: number;
  data: string;
}

export function rowToEvent(row: { run_id: string; seq: number | string; partition: number; offset: number | string; type: string; at: number | string; data: string }): StoredEvent {
  const event = { runId: row.run_id, seq: Number(row.seq), type: row.type, at: Number(row.at), data: JSON.parse(row.data) as unknown } as RunEvent;
  return { event, partition: row.partition, offset: Number(row.offset) };
}

export function rowToSummary(row: RunRow): RunSummary {
  return {
    runId: row.run_id,
    workflow: row.workflow,
    version: Number(row.version),
    status: row.status,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lastSeq: Number(row.last_seq),
    ...(row.error === null ? {} : { error: JSON.parse(row.error) as RunSummary['error'] & object }),
    ...(row.queued === null || row.queued === undefined ? {} : { queued: JSON.parse(row.queued) as RunSummary['queued'] & object }),
  };
}

export interface SqliteReadStoreOptions {
  /** A file path, or ':memory:' for a store that lasts as long as the process. */
  path: string;
  /** Views kept in memory. @default 1000 */
  cacheSize?: number;
  /** Told what opening the file does that takes long (rewriting a file of an earlier release). */
  onNote?: (note: string) => void;
}

/** Every statement the store runs, prepared once. */
function prepareStatements(db: Database.Database) {
  return {
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    putMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)'),
    checkpoint: db.prepare<[], { partition: number; next: number }>('SELECT partition, next FROM checkpoint'),
    partitionNext: db.prepare<[number], { next: number }>('SELECT next FROM checkpoint WHERE partition = ?'),
    setNext: db.prepare('INSERT INTO checkpoint (partition, next) VALUES (?, ?) ON CONFLICT (partition) DO UPDATE SET next = excluded.next'),
    view: db.prepare<[string], { view: string; definition_id: number | null }>('SELECT view, definition_id FROM runs WHERE run_id = ?'),
    // A lagging row brought up to date: no list index holds the watermarks (runs_ended only
    // ended runs, whose rows never lag).
    storeView: db.prepare('UPDATE runs SET view = ?, definition_id = ?, step_statuses = ?, updated_at = ?, last_seq = ? WHERE run_id = ? AND last_seq <= ?'),
    eventsAfter: db.prepare<[string, number], EventRow>('SELECT * FROM events WHERE run_key = (SELECT key FROM run_keys WHERE run_id = ?) AND seq > ? ORDER BY seq'),
    lastSeq: db.prepare<[number], { seq: number | null }>('SELECT max(seq) AS seq FROM events WHERE run_key = ?'),
    putRun: db.prepare(
      `INSERT INTO runs (run_id, workflow, version, status, created_at, updated_at, last_seq, error, view, definition_id, step_statuses)
       VALUES (@runId, @workflow, @version, @status, @createdAt, @updatedAt, @lastSeq, @error, @view, @definitionId, @stepStatuses)
       ON CONFLICT (run_id) DO UPDATE SET workflow = excluded.workflow, version = excluded.version, status = excluded.status,
         created_at = excluded.created_at, updated_at = excluded.updated_at, last_seq = excluded.last_seq, error = excluded.error, view = excluded.view,
         definition_id = excluded.definition_id, step_statuses = excluded.step_statuses`,
    ),
    putEvent: db.prepare('INSERT INTO events (run_id, seq, partition, offset, type, at, data, run_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    bumpRuns: db.prepare('INSERT INTO run_counts (workflow, status, n) VALUES (?, ?, ?) ON CONFLICT (workflow, status) DO UPDATE SET n = n + excluded.n'),
    bumpSteps: db.prepare('INSERT INTO step_counts (status, n) VALUES (?, ?) ON CONFLICT (status) DO UPDATE SET n = n + excluded.n'),
    runEvents: db.prepare<[string, number, number], EventRow>('SELECT * FROM events WHERE run_key = (SELECT key FROM run_keys WHERE run_id = ?) AND seq > ? ORDER BY seq LIMIT ?'),
    partitionEvents: db.prepare<[number, number, number], EventRow>('SELECT * FROM events WHERE partition = ? AND offset >= ? ORDER BY offset LIMIT ?'),
    countsAll: db.prepare<[], { status: RunStatus; n: number }>('SELECT status, sum(n) AS n FROM run_counts GROUP BY status'),
    countsOf: db.prepare<[string], { status: RunStatus; n: number }>('SELECT status, n FROM run_counts WHERE workflow = ?'),
    countsByWorkflow: db.prepare<[], { workflow: string; status: RunStatus; n: number }>('SELECT workflow, status, n FROM run_counts WHERE n <> 0 ORDER BY workflow, status'),
    stepCounts: db.prepare<[], { status: StepStatus; n: number }>('SELECT status, n FROM step_counts'),
    expiredAt: db.prepare<[string], { ended_at: number }>('SELECT ended_at FROM expired_runs WHERE run_id = ?'),
    // Without statistics the planner prefers runs_status, which scans every ended run and
    // sorts them: the partial index is named, and the predicate repeats its own.
    endedBefore: db.prepare<[number, number], { run_id: string; workflow: string; status: RunStatus; updated_at: number }>(
      `SELECT run_id, workflow, status, updated_at FROM runs INDEXED BY runs_ended WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') AND updated_at < ? ORDER BY updated_at LIMIT ?`,
    ),
    // The ids travel as one JSON array parameter.
    stepsOf: db.prepare<[string, string], { status: StepStatus; n: number }>(
      `SELECT s.key AS status, sum(s.value) AS n FROM runs r, json_each(r.step_statuses) s
         WHERE r.run_id IN (SELECT value FROM json_each(?)) AND r.step_statuses IS NOT NULL GROUP BY 1
       UNION ALL
       SELECT json_extract(s.value, '$.status') AS status, count(*) AS n FROM runs r, json_each(r.view, '$.steps') s
         WHERE r.run_id IN (SELECT value FROM json_each(?)) AND r.step_statuses IS NULL GROUP BY 1`,
    ),
    runKey: db.prepare<[string], { key: number }>('SELECT key FROM run_keys WHERE run_id = ?'),
    newRunKey: db.prepare<[string], { key: number }>('INSERT INTO run_keys (run_id) VALUES (?) RETURNING key'),
    deleteEvents: db.prepare<[string]>('DELETE FROM events WHERE run_key IN (SELECT key FROM run_keys WHERE run_id IN (SELECT value FROM json_each(?)))'),
    deleteRunKeys: db.prepare<[string]>('DELETE FROM run_keys WHERE run_id IN (SELECT value FROM json_each(?))'),
    deleteRuns: db.prepare<[string]>('DELETE FROM runs WHERE run_id IN (SELECT value FROM json_each(?))'),
    rememberExpired: db.prepare<[string]>(
      `INSERT INTO expired_runs (run_id, ended_at) SELECT run_id, updated_at FROM runs WHERE run_id IN (SELECT value FROM json_each(?))
       ON CONFLICT (run_id) DO UPDATE SET ended_at = excluded.ended_at`,
    ),
    forgetExpired: db.prepare<[number, number]>('DELETE FROM expired_runs WHERE run_id IN (SELECT run_id FROM expired_runs WHERE ended_at < ? ORDER BY ended_at LIMIT ?)'),
  };
}

export class SqliteReadStore implements ReadStore {
  readonly kind = 'sqlite';
  readonly publishesInTransaction = true;
  readonly id: string;
  private readonly db: Database.Database;
  private readonly cache: ViewCache<CachedRun>;
  private readonly stmt: ReturnType<typeof prepareStatements>;
  private readonly definitions: StoredDefinitions;
  /**
   * One statement per filter combination (8 at most), prepared once: a statement left to the
   * garbage collector can abort the process in better-sqlite3 on Node 24.
   */
  private readonly listStatements = new Map<string, Database.Statement<(string | number)[], RunRow>>();
  private queued: QueuedBatch[] = [];
  /** Runs the batches of the group being written hold, ahead of the cache until the group commits. */
  private written = new Map<string, CachedRun>();
  private readonly writeGroup: Database.Transaction<(group: readonly QueuedBatch[]) => (AppliedBatch | { error: unknown })[]>;
  private readonly writeViews: Database.Transaction<(lagging: readonly [string, CachedRun][]) => void>;
  private readonly writeBatch: Database.Transaction<(batch: QueuedBatch) => AppliedBatch>;

  constructor(options: SqliteReadStoreOptions) {
    this.db = new Database(options.path);
    // exec, not pragma(): pragma() leaves a statement to the garbage collector (see listStatements).
    this.db.exec('PRAGMA journal_mode = WAL');
    // The bus still holds what a power cut loses from the last commits: the checkpoint moves with them.
    this.db.exec('PRAGMA synchronous = NORMAL');
    // A batch's savepoint journals the pages it changes: in memory, not in a temporary file.
    this.db.exec('PRAGMA temp_store = MEMORY');
    this.db.exec(SCHEMA);
    migrate(this.db, options.onNote ?? (() => undefined));
    this.cache = new ViewCache<CachedRun>(options.cacheSize ?? 1000);
    this.definitions = new StoredDefinitions(this.db);
    const db = this.db;
    this.stmt = prepareStatements(db);
    this.writeViews = db.transaction((lagging: readonly [string, CachedRun][]) => {
      for (const [runId, { view }] of lagging) {
        this.stmt.storeView.run(viewText(view), this.definitions.numberOf(view.definition), stepStatusesOf(view), view.updatedAt, view.lastSeq, runId, view.lastSeq);
      }
    });
    this.writeGroup = db.transaction((group: readonly QueuedBatch[]) => this.groupWrite(group));
    // Called within writeGroup: a savepoint.
    this.writeBatch = db.transaction((batch: QueuedBatch) => this.batchWrite(batch));
    this.id = this.stmt.getMeta.get('store_id')?.value ?? this.newStoreId();
  }

  private newStoreId(): string {
    const id = randomUUID();
    this.stmt.putMeta.run('store_id', id);
    return id;
  }

  checkpoint(): Promise<number[]> {
    const out: number[] = [];
    for (const { partition, next } of this.stmt.checkpoint.all()) {
      while (out.length <= partition) out.push(0);
      out[partition] = next;
    }
    return Promise.resolve(out);
  }

  private loadRun(runId: string): CachedRun | undefined {
    const cached = this.written.get(runId) ?? this.cache.get(runId);
    if (cached !== undefined) return cached;
    const row = this.stmt.view.get(runId);
    if (row === undefined) return undefined;
    const stored = JSON.parse(row.view) as RunView;
    if (row.definition_id !== null) stored.definition = this.definitions.get(row.definition_id);
    return { view: this.foldStoredEvents(runId, stored), storedSeq: stored.lastSeq };
  }

  /**
   * The stored view brought up to date with the run's kept events after it, as the batches that
   * kept them folded them: an event that did not fold then (a projection error) does not now.
   */
  private foldStoredEvents(runId: string, stored: RunView): RunView {
    let view = stored;
    for (const row of this.stmt.eventsAfter.all(runId, stored.lastSeq)) {
      try {
        view = applyEvent(view, rowToEvent(row).event);
      } catch {
        // Kept unfolded, as when it arrived.
      }
    }
    return view;
  }

  private loadView(runId: string): RunView | undefined {
    return this.loadRun(runId)?.view;
  }

  /** Writes a run's row after a batch, or leaves it lagging (see `needsWholeRow`). Returns what the store now holds. */
  private writeRun(runId: string, before: CachedRun | undefined, view: RunView, key: number | undefined): CachedRun {
    if (before !== undefined && !needsWholeRow(before, view)) return { view, storedSeq: before.storedSeq, key };
    const definitionId = this.definitions.numberOf(view.definition);
    this.stmt.putRun.run({ runId, ...summaryColumns(view), view: viewText(view), definitionId, stepStatuses: stepStatusesOf(view) });
    return { view, storedSeq: view.lastSeq, key };
  }

  /**
   * Queues the batch and writes it with every other batch queued in this turn of the event loop,
   * in one transaction (a group commit: the commit, which writes the pages the batches dirtied to
   * the WAL, costs more than the rows of a batch). Each batch is a savepoint of that transaction,
   * with its checkpoint: one that fails rolls back alone and only its caller gets the error.
   * `onAccepted` hears the batch's accepted events inside the transaction, before their rows are
   * written: this thread runs nothing else until the commit.
   */
  applyBatch(partition: number, records: readonly IncomingRecord[], nextOffset: number, onAccepted?: AcceptedListener): Promise<BatchResult> {
    return new Promise((resolve, reject) => {
      this.queued.push({ partition, records, nextOffset, onAccepted, resolve, reject });
      if (this.queued.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const group = this.queued;
    this.queued = [];
    if (group.length === 0) return;
    let outcomes: (AppliedBatch | { error: unknown })[];
    try {
      outcomes = this.writeGroup.immediate(group);
    } catch (error) {
      this.definitions.forget();
      for (const batch of group) batch.reject(error);
      return;
    } finally {
      this.written = new Map();
    }
    // Only after the commit: a rolled-back batch must leave the cache as the file is.
    const lagging: [string, CachedRun][] = [];
    outcomes.forEach((outcome, i) => {
      const batch = group[i]!;
      if ('error' in outcome) {
        batch.reject(outcome.error);
        return;
      }
      for (const [runId, entry] of outcome.held) {
        const out = this.cache.set(runId, entry);
        if (out !== undefined && lags(out[1])) lagging.push(out);
      }
      batch.resolve(outcome.result);
    });
    this.storeViews(lagging);
  }

  /**
   * Writes the views of runs that left the cache while their rows lagged, so a run read back
   * from the file after it left the cache folds no events (after a restart, at most
   * VIEW_LAG_EVENTS). Its own transaction, after the batches': the events already hold what it
   * writes, so a failure only leaves the rows to be folded when read.
   */
  private storeViews(lagging: readonly [string, CachedRun][]): void {
    if (lagging.length === 0) return;
    try {
      this.writeViews(lagging);
    } catch {
      // The rows still fold from their events.
      this.definitions.forget();
    }
  }

  /** The group's transaction: each batch in its savepoint, then the counters the applied ones moved. */
  private groupWrite(group: readonly QueuedBatch[]): (AppliedBatch | { error: unknown })[] {
    const counts: CountDelta = { runs: new Map(), steps: new Map() };
    const outcomes = group.map((batch): AppliedBatch | { error: unknown } => {
      try {
        const applied = this.writeBatch(batch);
        for (const [runId, entry] of applied.held) this.written.set(runId, entry);
        addCounts(counts, applied.counts);
        return applied;
      } catch (error) {
        this.definitions.forget();
        return { error };
      }
    });
    for (const [key, n] of counts.runs) {
      if (n === 0) continue;
      const { workflow, status } = splitRunCountKey(key);
      this.stmt.bumpRuns.run(workflow, status, n);
    }
    for (const [status, n] of counts.steps) if (n !== 0) this.stmt.bumpSteps.run(status, n);
    return outcomes;
  }

  /** A run's number: the one on file, or a new one, given now (at once when the batch found it has none). */
  private runKeyOf(runId: string, none: boolean): number {
    return (none ? undefined : this.stmt.runKey.get(runId)?.key) ?? this.stmt.newRunKey.get(runId)!.key;
  }

  /**
   * What the store holds of the runs a batch's events belong to: each one's view when the store
   * has it, its last seq, when it ended if it expired, and its number (null when it has none).
   */
  private lookUpRuns(events: readonly { event: RunEvent }[]): RunsOfBatch {
    const runs: RunsOfBatch = { views: new Map(), loaded: new Map(), lastSeqs: new Map(), expired: new Map(), keys: new Map() };
    const looked = new Set<string>();
    for (const { event } of events) {
      const { runId } = event;
      if (looked.has(runId)) continue;
      looked.add(runId);
      const current = this.loadRun(runId);
      if (current !== undefined) {
        runs.views.set(runId, current.view);
        runs.loaded.set(runId, current);
        if (current.key !== undefined) runs.keys.set(runId, current.key);
      } else {
        runs.keys.set(runId, this.stmt.runKey.get(runId)?.key ?? null);
      }
      const key = runs.keys.get(runId);
      const seq = current?.view.lastSeq ?? (typeof key === 'number' ? this.stmt.lastSeq.get(key)?.seq : undefined);
      if (seq !== undefined && seq !== null) runs.lastSeqs.set(runId, seq);
      else {
        const endedAt = this.stmt.expiredAt.get(runId)?.ended_at;
        if (endedAt !== undefined) runs.expired.set(runId, endedAt);
      }
    }
    return runs;
  }

  /** The accepted events' rows, each under its run's number (given now to a run that has none). */
  private putEvents(partition: number, accepted: readonly { event: RunEvent; offset: number }[], keys: Map<string, number | null>): void {
    for (const { event, offset } of accepted) {
      let key = keys.get(event.runId);
      if (typeof key !== 'number') keys.set(event.runId, (key = this.runKeyOf(event.runId, key === null)));
      this.stmt.putEvent.run(event.runId, event.seq, partition, offset, event.type, event.at, JSON.stringify(event.data ?? null), key);
    }
  }

  /** One batch, within the group's transaction. */
  private batchWrite({ partition, records, nextOffset, onAccepted }: QueuedBatch): AppliedBatch {
    const none: CountDelta = { runs: new Map(), steps: new Map() };
    const from = this.stmt.partitionNext.get(partition)?.next ?? 0;
    if (nextOffset <= from) return { result: { accepted: [], duplicates: 0, expired: 0, projectionErrors: [], applied: false }, held: new Map(), counts: none };
    const fresh = records.filter((r): r is { offset: number; event: RunEvent } => r.offset >= from && r.event !== undefined);
    const { views, loaded, lastSeqs, expired, keys } = this.lookUpRuns(fresh);
    const outcome = foldBatch({ partition, records: fresh, views, lastSeqs, expired });
    // Live frames leave now; the rows below and the commit follow before this thread runs anything else.
    onAccepted?.(outcome.accepted);
    this.putEvents(partition, outcome.accepted, keys);
    const held = new Map<string, CachedRun>();
    for (const [runId, view] of outcome.views) held.set(runId, this.writeRun(runId, loaded.get(runId), view, keys.get(runId) ?? undefined));
    this.stmt.setNext.run(partition, nextOffset);
    const result = { accepted: outcome.accepted, duplicates: outcome.duplicates, expired: outcome.expired, projectionErrors: outcome.projectionErrors, applied: true };
    return { result, held, counts: outcome.counts };
  }

  expireRuns(endedBefore: number, limit: number): Promise<string[]> {
    const run = this.db.transaction((): string[] => {
      const doomed = this.stmt.endedBefore.all(endedBefore, limit);
      if (doomed.length === 0) return [];
      const runIds = doomed.map((r) => r.run_id);
      const ids = JSON.stringify(runIds);
      const steps = this.stmt.stepsOf.all(ids, ids);
      this.stmt.rememberExpired.run(ids);
      this.stmt.deleteEvents.run(ids);
      this.stmt.deleteRunKeys.run(ids);
      this.stmt.deleteRuns.run(ids);
      const runs = new Map<string, number>();
      for (const r of doomed) {
        const key = runCountKey(r.workflow, r.status);
        runs.set(key, (runs.get(key) ?? 0) - 1);
      }
      for (const [key, n] of runs) {
        const { workflow, status } = splitRunCountKey(key);
        this.stmt.bumpRuns.run(workflow, status, n);
      }
      const byStatus = new Map<StepStatus, number>();
      for (const { status, n } of steps) byStatus.set(status, (byStatus.get(status) ?? 0) + n);
      for (const [status, n] of byStatus) this.stmt.bumpSteps.run(status, -n);
      return runIds;
    });
    const runIds = run.immediate();
    for (const runId of runIds) this.cache.delete(runId);
    return Promise.resolve(runIds);
  }

  forgetExpired(endedBefore: number, limit: number): Promise<number> {
    return Promise.resolve(this.stmt.forgetExpired.run(endedBefore, limit).changes);
  }

  getRun(runId: string): Promise<RunView | undefined> {
    return Promise.resolve(this.loadView(runId));
  }

  listRuns(query: RunListQuery): Promise<RunListResult> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.workflow !== undefined) {
      where.push('workflow = ?');
      params.push(query.workflow);
    }
    if (query.status !== undefined) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.after !== undefined) {
      where.push('(created_at, run_id) < (?, ?)');
      params.push(query.after.createdAt, query.after.runId);
    }
    // Why a PENDING run waits is read from its view, for the PENDING rows of the page only.
    const sql = `SELECT run_id, workflow, version, status, created_at, updated_at, last_seq, error,
      CASE WHEN status = 'PENDING' THEN json_extract(view, '$.queued') END AS queued FROM runs
      ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY created_at DESC, run_id DESC LIMIT ?`;
    let statement = this.listStatements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<(string | number)[], RunRow>(sql);
      this.listStatements.set(sql, statement);
    }
    const rows = statement.all(...params, query.limit + 1);
    const items = rows.slice(0, query.limit).map((row) => this.withWatermarks(rowToSummary(row)));
    const last = items.at(-1);
    return Promise.resolve({ items, next: rows.length > query.limit && last !== undefined ? { createdAt: last.createdAt, runId: last.runId } : null });
  }

  /** A list row with the watermarks of the run's view in memory, which its stored row may lag. */
  private withWatermarks(summary: RunSummary): RunSummary {
    const view = this.cache.peek(summary.runId)?.view;
    if (view === undefined || view.lastSeq <= summary.lastSeq) return summary;
    return { ...summary, updatedAt: view.updatedAt, lastSeq: view.lastSeq };
  }

  counts(workflow?: string): Promise<Record<RunStatus, number>> {
    const counts = zeroCounts(RUN_STATUSES);
    const rows = workflow === undefined ? this.stmt.countsAll.all() : this.stmt.countsOf.all(workflow);
    for (const { status, n } of rows) counts[status] = n;
    return Promise.resolve(counts);
  }

  countsByWorkflow(): Promise<{ workflow: string; status: RunStatus; count: number }[]> {
    return Promise.resolve(this.stmt.countsByWorkflow.all().map(({ workflow, status, n }) => ({ workflow, status, count: n })));
  }

  stepCounts(): Promise<Record<StepStatus, number>> {
    const counts = zeroCounts(STEP_STATUSES);
    for (const { status, n } of this.stmt.stepCounts.all()) counts[status] = n;
    return Promise.resolve(counts);
  }

  runEvents(runId: string, since: number, limit: number): Promise<StoredEvent[]> {
    return Promise.resolve(this.stmt.runEvents.all(runId, since, limit).map(rowToEvent));
  }

  partitionEvents(partition: number, from: number, limit: number): Promise<StoredEvent[]> {
    return Promise.resolve(this.stmt.partitionEvents.all(partition, from, limit).map(rowToEvent));
  }

  close(): Promise<void> {
    this.flush();
    // The rows that lag, written now: a restart reads them back without folding their events.
    if (this.db.open) this.storeViews([...this.cache.entries()].filter(([, run]) => lags(run)));
    if (this.db.open) this.db.close();
    // better-sqlite3 on Node 24 can abort the process when the garbage collector finalizes a
    // statement wrapper (Statement::~Statement without an Environment); closed stores keep theirs.
    RETAINED.push(this.stmt, this.definitions.statements(), this.listStatements, this.db);
    return Promise.resolve();
  }
}
