import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { projectRun } from '@orchestrator-lite/core/projection';
import type { RunEvent } from '@orchestrator-lite/core/projection';
import { SqliteReadStore, VIEW_LAG_EVENTS } from '../../src/store/sqlite-store.js';
import { runFailed, runStarted, runSucceeded } from '../helpers.js';
import { fileStoreFactory, readStoreContract } from './read-store-contract.js';
import { append, assertCountsExact, dated, readStoreRetentionContract } from './read-store-retention-contract.js';

const KEPT: unknown[] = [];

/** A store file's path in a directory of its own, removed once the test ends. */
async function storeFile(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'orch-read-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'read-model.sqlite');
}

const factory = fileStoreFactory((path) => new SqliteReadStore({ path }));

readStoreContract('sqlite', factory);
readStoreRetentionContract('sqlite', factory);

void test('sqlite: a store file written before the retention gains its column, index and table on open, and expires old and new rows alike', async (t) => {
  const path = await storeFile(t);
  const first = new SqliteReadStore({ path });
  await append(first, [runStarted('old', 100), dated(runFailed('old', 2), 1_000), runStarted('live', 100)]);
  await first.close();
  // What a file from before the retention lacks.
  const raw = new Database(path);
  raw.exec('DROP INDEX runs_ended; DROP INDEX expired_runs_ended; DROP TABLE expired_runs; ALTER TABLE runs DROP COLUMN step_statuses');
  raw.close();
  const store = new SqliteReadStore({ path });
  t.after(() => store.close());
  const check = new Database(path, { readonly: true });
  const statement = check.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE name IN ('runs_ended', 'expired_runs', 'expired_runs_ended') UNION ALL SELECT 'runs.' || name FROM pragma_table_info('runs') WHERE name = 'step_statuses' ORDER BY 1");
  const objects = statement.all();
  // Kept reachable: a collected statement of a closed database can abort the process (see SqliteReadStore.close).
  KEPT.push(statement, check);
  check.close();
  assert.deepEqual(
    objects.map((o) => o.name),
    ['expired_runs', 'expired_runs_ended', 'runs.step_statuses', 'runs_ended'],
  );
  // A row written before the column (its step counts come from its view) and one written after.
  await append(store, [runStarted('new', 100), dated(runSucceeded('new', 2), 1_500)]);
  await assertCountsExact(store);
  assert.deepEqual(await store.expireRuns(2_000, 10), ['old', 'new']);
  assert.equal((await store.getRun('live'))?.status, 'RUNNING');
  assert.equal((await store.stepCounts()).PENDING, 2);
  await assertCountsExact(store);
});

/** A RUNNING run's step scheduled, started, then `n` progress reports: the run's status never moves. */
function progressing(runId: string, n: number): RunEvent[] {
  const events: RunEvent[] = [
    runStarted(runId),
    { runId, seq: 2, type: 'StepScheduled', at: 1_002, data: { stepId: 'charge', attempt: 1, task: 'charge-card', queue: 'default', input: { amount: 5 } } },
    { runId, seq: 3, type: 'StepStarted', at: 1_003, data: { stepId: 'charge', attempt: 1, workerId: 'w1' } },
  ];
  for (let i = 1; i <= n; i++) events.push({ runId, seq: 3 + i, type: 'StepProgress', at: 1_003 + i, data: { stepId: 'charge', attempt: 1, fraction: i / (n + 1) } });
  return events;
}

/** A closed store file with two runs: `a`, in progress, and `ended`, which failed at 1,000. */
async function fileWithTwoRuns(t: TestContext): Promise<{ path: string; a: RunEvent[] }> {
  const path = await storeFile(t);
  const first = new SqliteReadStore({ path });
  const a = progressing('a', 2);
  await append(first, [...a, runStarted('ended', 100), dated(runFailed('ended', 2), 1_000)]);
  await first.close();
  return { path, a };
}

/** The rows of each query, read on a connection of its own to the file. */
function queryFile(path: string, ...queries: string[]): unknown[][] {
  const check = new Database(path, { readonly: true });
  const statements = queries.map((query) => check.prepare(query));
  const rows = statements.map((statement) => statement.all());
  // Kept reachable: a collected statement of a closed database can abort the process (see SqliteReadStore.close).
  KEPT.push(...statements, check);
  check.close();
  return rows;
}

/** A run's row as the file holds it, read on a connection of its own. */
function rowOf(path: string, runId: string): { view: { lastSeq: number }; last_seq: number; updated_at: number } | undefined {
  const raw = new Database(path, { readonly: true });
  const statement = raw.prepare<[string], { view: string; last_seq: number; updated_at: number }>('SELECT view, last_seq, updated_at FROM runs WHERE run_id = ?');
  const row = statement.get(runId);
  // Kept reachable: a collected statement of a closed database can abort the process (see SqliteReadStore.close).
  KEPT.push(statement, raw);
  raw.close();
  return row === undefined ? undefined : { ...row, view: JSON.parse(row.view) as { lastSeq: number } };
}

void test('sqlite: a run whose row lags reads back, after a crash, as its events fold', async (t) => {
  const path = await storeFile(t);
  const events = progressing('lagging', VIEW_LAG_EVENTS + 10);
  // Never closed: it stops as a crashed gateway does, with the rows that lag as they are.
  const crashed = new SqliteReadStore({ path });
  KEPT.push(crashed);
  // One event per batch, as a live run's events come.
  for (const event of events) await append(crashed, [event]);
  const live = await crashed.getRun('lagging');
  // A list takes the watermarks from the view in memory.
  const listed = (await crashed.listRuns({ limit: 10 })).items[0];
  assert.equal(listed?.lastSeq, events.length);
  assert.equal(listed?.updatedAt, events.at(-1)?.at);
  const row = rowOf(path, 'lagging');
  assert.equal(row?.last_seq, row?.view.lastSeq);
  assert.ok(row !== undefined && row.last_seq < events.length && events.length - row.last_seq < VIEW_LAG_EVENTS, `the row is at seq ${row?.last_seq} of ${events.length}`);
  const store = new SqliteReadStore({ path });
  t.after(() => store.close());
  const expected = projectRun(events);
  assert.deepEqual(await store.getRun('lagging'), expected);
  assert.deepEqual(live, expected);
  // The next event folds onto the view read back, and the run ends with its whole row.
  await append(store, [runSucceeded('lagging', events.length + 1)]);
  const ended = await store.getRun('lagging');
  assert.equal(ended?.status, 'SUCCEEDED');
  assert.equal(ended?.steps.charge?.attempts[0]?.progress?.fraction, expected?.steps.charge?.attempts[0]?.progress?.fraction);
  assert.equal((await store.listRuns({ limit: 10 })).items[0]?.lastSeq, events.length + 1);
  assert.equal(rowOf(path, 'lagging')?.last_seq, events.length + 1);
});

void test('sqlite: a store that closes writes the rows that lag', async (t) => {
  const path = await storeFile(t);
  const events = progressing('open', 5);
  const first = new SqliteReadStore({ path });
  for (const event of events) await append(first, [event]);
  assert.ok((rowOf(path, 'open')?.last_seq ?? 0) < events.length, 'the row lags while the store runs');
  await first.close();
  const row = rowOf(path, 'open');
  assert.equal(row?.last_seq, events.length);
  assert.equal(row?.view.lastSeq, events.length);
  assert.equal(row?.updated_at, events.at(-1)?.at);
  // A file of this release has nothing to rewrite, and says nothing.
  const notes: string[] = [];
  const store = new SqliteReadStore({ path, onNote: (note) => notes.push(note) });
  assert.deepEqual(notes, []);
  t.after(() => store.close());
  assert.equal((await store.listRuns({ limit: 10 })).items[0]?.lastSeq, events.length);
  assert.deepEqual(await store.getRun('open'), projectRun(events));
});

void test('sqlite: a store file whose events are keyed by run has them keyed by position once opened, history and all', async (t) => {
  const path = await storeFile(t);
  const first = new SqliteReadStore({ path });
  const a = progressing('a', 2);
  const b = progressing('b', 2);
  await first.applyBatch(0, [...a, ...b].map((event, offset) => ({ offset, event })), a.length + b.length);
  await first.close();
  // The table as a file of an earlier release has it.
  const raw = new Database(path);
  raw.exec(`CREATE TABLE events_by_run (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
    type TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;
  INSERT INTO events_by_run SELECT run_id, seq, partition, offset, type, at, data FROM events;
  DROP TABLE events;
  ALTER TABLE events_by_run RENAME TO events;
  CREATE UNIQUE INDEX events_position ON events (partition, offset);`);
  raw.close();
  const notes: string[] = [];
  const store = new SqliteReadStore({ path, onNote: (note) => notes.push(note) });
  t.after(() => store.close());
  assert.equal(notes.length, 4);
  assert.match(notes[0] ?? '', new RegExp(`^re-keying the read store's ${a.length + b.length} events by their position`));
  assert.match(notes[2] ?? '', new RegExp(`^re-keyed the read store's ${a.length + b.length} events in \\d+ ms$`));
  const check = new Database(path, { readonly: true });
  const key = check.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('events') WHERE pk > 0 ORDER BY pk");
  const indexes = check.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name");
  const [columns, names] = [key.all(), indexes.all()];
  KEPT.push(key, indexes, check);
  check.close();
  assert.deepEqual(columns.map((c) => c.name), ['partition', 'offset']);
  assert.deepEqual(names.map((i) => i.name), ['events_by_run_number']);
  assert.deepEqual((await store.runEvents('b', 0, 100)).map((e) => e.event), b);
  assert.deepEqual((await store.partitionEvents(0, 0, 100)).map((e) => [e.offset, e.event.runId, e.event.seq]), [...a, ...b].map((e, offset) => [offset, e.runId, e.seq]));
  await store.applyBatch(0, [{ offset: a.length + b.length, event: runSucceeded('a', a.length + 1) }], a.length + b.length + 1);
  assert.equal((await store.getRun('a'))?.status, 'SUCCEEDED');
  assert.deepEqual(await store.getRun('b'), projectRun(b));
});

void test('sqlite: a store file whose events are indexed by run id has its runs numbered once opened, and reads, appends and expires them', async (t) => {
  const { path, a } = await fileWithTwoRuns(t);
  // The events as a file of an earlier release has them: no run numbers, an index by id.
  const raw = new Database(path);
  raw.exec(`DROP INDEX events_by_run_number; ALTER TABLE events DROP COLUMN run_key; DROP TABLE run_keys;
  CREATE TABLE run_keys (key INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE);
  CREATE UNIQUE INDEX events_run ON events (run_id, seq);`);
  raw.close();
  const notes: string[] = [];
  const store = new SqliteReadStore({ path, onNote: (note) => notes.push(note) });
  t.after(() => store.close());
  const events = a.length + 2;
  assert.deepEqual(
    notes.map((n) => n.replace(/\d+ ms$/, 'N ms')),
    [`indexing the read store's ${events} events by run number, once (a file of an earlier release)`, `indexed the read store's ${events} events by run number in N ms`],
  );
  const [names, runs] = queryFile(
    path,
    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name",
    'SELECT k.run_id, count(*) AS events FROM run_keys k JOIN events e ON e.run_key = k.key GROUP BY k.run_id ORDER BY k.run_id',
  );
  assert.deepEqual(names, [{ name: 'events_by_run_number' }]);
  assert.deepEqual(runs, [{ run_id: 'a', events: a.length }, { run_id: 'ended', events: 2 }]);
  assert.deepEqual((await store.runEvents('a', 0, 100)).map((e) => e.event), a);
  // A run of the old file goes on, a new one gets the next number, the ended one expires with its events.
  await append(store, [dated(runSucceeded('a', a.length + 1), 5_000), runStarted('new', 100)]);
  assert.equal((await store.getRun('a'))?.status, 'SUCCEEDED');
  assert.deepEqual((await store.runEvents('a', a.length, 100)).map((e) => e.event.type), ['RunSucceeded']);
  assert.equal((await store.getRun('new'))?.status, 'RUNNING');
  assert.deepEqual(await store.expireRuns(2_000, 10), ['ended']);
  assert.deepEqual(await store.runEvents('ended', 0, 100), []);
  await assertCountsExact(store);
});

void test('sqlite: a store file whose run rows hold their definitions reads them back, and writes them by number from then on', async (t) => {
  const path = await storeFile(t);
  const first = new SqliteReadStore({ path });
  const a = progressing('a', 2);
  await append(first, a);
  await first.close();
  // The rows as a file of an earlier release has them: each view with its definition, no numbers.
  const raw = new Database(path);
  raw.exec(`UPDATE runs SET view = json_set(view, '$.definition', json((SELECT text FROM definitions WHERE id = definition_id)));
  ALTER TABLE runs DROP COLUMN definition_id; DROP TABLE definitions;`);
  raw.close();
  const store = new SqliteReadStore({ path });
  t.after(() => store.close());
  assert.deepEqual(await store.getRun('a'), projectRun(a));
  await append(store, [runSucceeded('a', a.length + 1), runStarted('b')]);
  assert.deepEqual(await store.getRun('a'), projectRun([...a, runSucceeded('a', a.length + 1)]));
  const [written] = queryFile(path, "SELECT run_id, json_type(view, '$.definition') IS NOT NULL AS inline, definition_id FROM runs ORDER BY run_id") as [{ run_id: string; inline: number; definition_id: number | null }[]];
  // Both rows written since refer to the one definition and hold none.
  assert.deepEqual(written.map((r) => [r.run_id, r.inline]), [['a', 0], ['b', 0]]);
  assert.equal(written[0]?.definition_id, written[1]?.definition_id);
  assert.notEqual(written[0]?.definition_id, null);
});

void test('sqlite: a store file whose runs are keyed by id has them in the order they arrived once opened, indexes and all', async (t) => {
  const { path, a } = await fileWithTwoRuns(t);
  // The table as a file of an earlier release has it.
  const raw = new Database(path);
  raw.exec(`CREATE TABLE runs_by_id (
    run_id TEXT PRIMARY KEY, workflow TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_seq INTEGER NOT NULL, error TEXT, view TEXT NOT NULL, step_statuses TEXT
  ) WITHOUT ROWID;
  INSERT INTO runs_by_id SELECT run_id, workflow, version, status, created_at, updated_at, last_seq, error,
    json_set(view, '$.definition', json((SELECT text FROM definitions WHERE id = definition_id))), step_statuses FROM runs;
  DROP TABLE runs;
  ALTER TABLE runs_by_id RENAME TO runs;
  CREATE INDEX runs_newest ON runs (created_at DESC, run_id DESC);
  CREATE INDEX runs_status ON runs (status, created_at DESC, run_id DESC);
  CREATE INDEX runs_workflow ON runs (workflow, status, created_at DESC, run_id DESC);
  CREATE INDEX runs_ended ON runs (updated_at, workflow, status) WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED');`);
  raw.close();
  const notes: string[] = [];
  const store = new SqliteReadStore({ path, onNote: (note) => notes.push(note) });
  t.after(() => store.close());
  assert.equal(notes.length, 2);
  assert.match(notes[0] ?? '', /^rewriting the read store's 2 runs in the order they arrived, once/);
  assert.match(notes[1] ?? '', /^rewrote the read store's 2 runs in \d+ ms$/);
  const check = new Database(path, { readonly: true });
  const key = check.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('runs') WHERE pk > 0");
  const indexes = check.prepare<[], { name: string; unique: number }>("SELECT name, \"unique\" FROM pragma_index_list('runs') ORDER BY name");
  const [columns, names] = [key.all(), indexes.all()];
  KEPT.push(key, indexes, check);
  check.close();
  assert.deepEqual(columns, []);
  assert.deepEqual(
    names.map((i) => [i.name, i.unique]),
    [
      ['runs_ended', 0],
      ['runs_newest', 0],
      ['runs_status', 0],
      ['runs_workflow', 0],
      ['sqlite_autoindex_runs_1', 1],
    ],
  );
  assert.deepEqual(await store.getRun('a'), projectRun(a));
  assert.deepEqual((await store.listRuns({ limit: 10, status: 'FAILED' })).items.map((r) => r.runId), ['ended']);
  await append(store, [dated(runSucceeded('a', a.length + 1), 1_500)]);
  assert.equal((await store.getRun('a'))?.status, 'SUCCEEDED');
  await assertCountsExact(store);
  assert.deepEqual((await store.expireRuns(2_000, 10)).sort(), ['a', 'ended']);
  await assertCountsExact(store);
});

void test('sqlite: batches of one turn share a transaction, and one that fails rolls back alone', async (t) => {
  const store = new SqliteReadStore({ path: await storeFile(t) });
  t.after(() => store.close());
  // JSON cannot hold a BigInt: writing this event's data throws inside its batch.
  const unwritable = { ...runStarted('bad'), data: { ...runStarted('bad').data, input: { n: 1n } } } as unknown as RunEvent;
  const [bad, good, later] = await Promise.allSettled([
    store.applyBatch(0, [{ offset: 0, event: unwritable }], 1),
    store.applyBatch(1, [{ offset: 0, event: runStarted('good') }], 1),
    store.applyBatch(1, [{ offset: 1, event: runSucceeded('good', 2) }], 2),
  ]);
  assert.equal(bad.status, 'rejected');
  assert.equal(good.status, 'fulfilled');
  assert.equal(later.status, 'fulfilled');
  assert.deepEqual(await store.checkpoint(), [0, 2]);
  assert.equal(await store.getRun('bad'), undefined);
  assert.equal((await store.getRun('good'))?.status, 'SUCCEEDED');
  assert.equal((await store.counts()).SUCCEEDED, 1);
  assert.equal((await store.counts()).RUNNING, 0);
  // The partition whose batch failed takes it again.
  await store.applyBatch(0, [{ offset: 0, event: runStarted('bad') }], 1);
  assert.equal((await store.getRun('bad'))?.status, 'RUNNING');
  assert.deepEqual(await store.checkpoint(), [1, 2]);
});

void test('sqlite: a batch that fails after numbering a definition takes the number with it, and the next batch numbers it again', async (t) => {
  const path = await storeFile(t);
  const store = new SqliteReadStore({ path });
  const fresh = runStarted('x', 1_000, 'fresh');
  // Written as its event, then refused as its view: the batch fails after its runs' definitions are numbered.
  let writes = 0;
  const refusedOnce = {
    toJSON(): number {
      if (++writes === 2) throw new Error('refused');
      return 1;
    },
  };
  const unwritable = { ...runStarted('y'), data: { ...runStarted('y').data, input: { n: refusedOnce } } } as unknown as RunEvent;
  await assert.rejects(store.applyBatch(0, [{ offset: 0, event: fresh }, { offset: 1, event: unwritable }], 2));
  // Another run of the same definition object.
  const again = { ...fresh, runId: 'z' } as RunEvent;
  await store.applyBatch(1, [{ offset: 0, event: again }], 1);
  await store.close();
  const reopened = new SqliteReadStore({ path });
  t.after(() => reopened.close());
  assert.deepEqual(await reopened.getRun('z'), projectRun([again]));
  assert.equal(await reopened.getRun('x'), undefined);
});

void test('sqlite: a run that leaves the cache while its row lags gets its whole row written', async (t) => {
  const path = await storeFile(t);
  const store = new SqliteReadStore({ path, cacheSize: 1 });
  t.after(() => store.close());
  // 'first' moves on in memory only, then 'second' takes its place in the cache.
  const events = progressing('first', 3);
  for (const event of events) await append(store, [event]);
  assert.ok((rowOf(path, 'first')?.last_seq ?? 0) < events.length, 'the row lags while the run is cached');
  await append(store, [runStarted('second')]);
  const stored = rowOf(path, 'first');
  assert.equal(stored?.last_seq, events.length);
  assert.equal(stored?.view.lastSeq, events.length);
  assert.deepEqual(await store.getRun('first'), projectRun(events));
  assert.equal((await store.listRuns({ limit: 10 })).items.find((r) => r.runId === 'first')?.lastSeq, events.length);
});
