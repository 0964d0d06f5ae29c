import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadModel } from '../src/read-model.js';
import type { StoredEvent } from '../src/read-model.js';
import { SqliteReadStore } from '../src/store/sqlite-store.js';
import { ThreadedSqliteReadStore } from '../src/store/sqlite-thread.js';
import type { ReadStore } from '../src/store/types.js';
import { DEFINITION, runStarted, stepLog } from './helpers.js';

function model(t: { after(fn: () => Promise<void>): void }, now = () => 0): ReadModel {
  const store = new SqliteReadStore({ path: ':memory:' });
  t.after(() => store.close());
  return new ReadModel(store, now);
}

const placeholder = {
  runId: 'r1',
  workflow: 'orders',
  version: 1,
  status: 'PENDING' as const,
  input: {},
  createdAt: 5,
  updatedAt: 5,
  lastSeq: 0,
  definition: DEFINITION,
  steps: {},
};

/** A StartRun write that succeeds at once. */
const written = (): Promise<void> => Promise.resolve();

void test('a placeholder answers for a submitted run until its RunStarted is published', async (t) => {
  const m = model(t);
  assert.equal(await m.addPlaceholder(placeholder, written), true);
  assert.equal(await m.addPlaceholder(placeholder, written), false);
  assert.equal((await m.getRun('r1'))?.status, 'PENDING');
  const result = await m.store.applyBatch(0, [{ offset: 0, event: runStarted('r1', 7) }], 1);
  m.publish(0, result.accepted, 1);
  const view = await m.getRun('r1');
  assert.equal(view?.status, 'RUNNING');
  assert.equal(view?.createdAt, 7);
  assert.equal(await m.addPlaceholder(placeholder, written), true, 'the placeholder was dropped on RunStarted');
});

void test('placeholders expire, so a lost StartRun does not hold memory forever', async (t) => {
  let now = 0;
  const m = model(t, () => now);
  await m.addPlaceholder(placeholder, written);
  now = 11 * 60_000;
  await m.addPlaceholder({ ...placeholder, runId: 'r2' }, written);
  assert.equal(await m.getRun('r1'), undefined);
  assert.equal((await m.getRun('r2'))?.status, 'PENDING');
});

void test('publish pushes to the run and all-runs listeners and moves the published positions', async (t) => {
  const m = model(t);
  m.setPartitionCount(2);
  const forRun: number[] = [];
  const all: StoredEvent[] = [];
  const stop = m.listenRun('r1', (e) => forRun.push(e.event.seq));
  m.listenAll((e) => all.push(e));
  m.publish(1, [{ event: runStarted('r1'), partition: 1, offset: 4 }, { event: stepLog('r2', 1), partition: 1, offset: 5 }], 7);
  stop();
  m.publish(1, [{ event: stepLog('r1', 2), partition: 1, offset: 7 }], 8);
  assert.deepEqual(forRun, [1]);
  assert.equal(all.length, 3);
  assert.deepEqual(m.currentPositions(), [0, 8]);
  // A position never moves back.
  m.publish(1, [], 3);
  assert.deepEqual(m.currentPositions(), [0, 8]);
});

/** What reaches the all-runs listener and the `onPublished` listeners, in order, as two partitions' batches apply in one task. */
async function publicationsOfOneTask(store: ReadStore): Promise<string[]> {
  const m = new ReadModel(store);
  m.setPartitionCount(2);
  const heard: string[] = [];
  m.listenAll((e) => heard.push(`event ${e.event.runId}`));
  m.onPublished(() => heard.push('published'));
  const publish = (accepted: readonly StoredEvent[]): void => m.publishEvents(accepted);
  await Promise.all([
    store.applyBatch(0, [{ offset: 0, event: runStarted('r1') }], 1, publish),
    store.applyBatch(1, [{ offset: 0, event: runStarted('r2') }], 1, publish),
  ]);
  await new Promise((resolve) => setImmediate(resolve));
  return heard;
}

void test('onPublished: a store on this thread tells each publication at once, within its transaction', async (t) => {
  const store = new SqliteReadStore({ path: ':memory:' });
  t.after(() => store.close());
  assert.deepEqual(await publicationsOfOneTask(store), ['event r1', 'published', 'event r2', 'published']);
});

void test('onPublished: the batches a store on another thread answers together are told once, after all their events', async (t) => {
  const store = await ThreadedSqliteReadStore.open({ path: ':memory:' });
  t.after(() => store.close());
  assert.deepEqual(await publicationsOfOneTask(store), ['event r1', 'event r2', 'published']);
});
