import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '@orchestrator-lite/core/projection';
import Database from 'better-sqlite3';
import { ThreadedSqliteReadStore } from '../../src/store/sqlite-thread.js';
import { runStarted, runSucceeded, stepLog } from '../helpers.js';
import { fileStoreFactory, readStoreContract } from './read-store-contract.js';
import { readStoreRetentionContract } from './read-store-retention-contract.js';

const factory = fileStoreFactory((path) => ThreadedSqliteReadStore.open({ path }));

readStoreContract('sqlite on a thread', factory);
readStoreRetentionContract('sqlite on a thread', factory);

void test('sqlite on a thread: a batch answers with the caller’s own event objects, and a projection error names its event', async (t) => {
  const { store } = await factory(t);
  const started = runStarted('r1');
  // A step's log before its run started folds into no view: kept, with a projection error.
  const orphan = stepLog('r2', 1);
  const ended = runSucceeded('r1', 2);
  const result = await store.applyBatch(0, [{ offset: 0, event: started }, { offset: 1, event: undefined }, { offset: 2, event: orphan }, { offset: 3, event: ended }], 4);
  assert.equal(result.applied, true);
  assert.deepEqual(result.accepted.map((a) => a.offset), [0, 2, 3]);
  assert.ok(result.accepted[0]!.event === started && result.accepted[1]!.event === orphan && result.accepted[2]!.event === ended, 'the accepted events are the objects passed in');
  assert.equal(result.projectionErrors.length, 1);
  assert.ok(result.projectionErrors[0]!.event === orphan);
  assert.ok(result.projectionErrors[0]!.error instanceof Error && result.projectionErrors[0]!.error.message.length > 0);
  assert.equal((await store.getRun('r1'))?.status, 'SUCCEEDED');
});

void test('sqlite on a thread: a batch that cannot be written fails alone; the thread goes on', async (t) => {
  const { store } = await factory(t);
  // JSON cannot hold a BigInt: this batch fails before it leaves the caller.
  const unwritable = { ...runStarted('bad'), data: { ...runStarted('bad').data, input: { n: 1n } } } as unknown as RunEvent;
  const [bad, good] = await Promise.allSettled([store.applyBatch(0, [{ offset: 0, event: unwritable }], 1), store.applyBatch(1, [{ offset: 0, event: runStarted('good') }], 1)]);
  assert.equal(bad.status, 'rejected');
  assert.equal(good.status, 'fulfilled');
  assert.deepEqual(await store.checkpoint(), [0, 1]);
  assert.equal((await store.getRun('good'))?.status, 'RUNNING');
});

void test('sqlite on a thread: a file that cannot be opened is an error that names it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'orch-read-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'missing-folder', 'read-model.sqlite');
  await assert.rejects(ThreadedSqliteReadStore.open({ path }), (error: Error) => error.message.includes(path));
});

void test('sqlite on a thread: what the thread says while it opens a file of an earlier release reaches the caller first', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'orch-read-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'read-model.sqlite');
  // Events keyed by run, as an earlier release wrote them.
  const raw = new Database(path);
  raw.exec(`CREATE TABLE events (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
    type TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX events_position ON events (partition, offset);`);
  raw.close();
  const notes: string[] = [];
  const store = await ThreadedSqliteReadStore.open({ path }, (note) => notes.push(note));
  t.after(() => store.close());
  assert.deepEqual(
    notes.map((n) => n.replace(/\d+ ms$/, 'N ms')),
    [
      "re-keying the read store's 0 events by their position, once (a file of an earlier release)",
      "indexing the read store's 0 events by run number, once (a file of an earlier release)",
      "re-keyed the read store's 0 events in N ms",
      "indexed the read store's 0 events by run number in N ms",
    ],
  );
  await store.applyBatch(0, [{ offset: 0, event: runStarted('after') }], 1);
  assert.equal((await store.getRun('after'))?.status, 'RUNNING');
});
