import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openReadStore } from '../../src/store/open-store.js';
import { SqliteReadStore } from '../../src/store/sqlite-store.js';
import { ThreadedSqliteReadStore } from '../../src/store/sqlite-thread.js';
import { runStarted, runSucceeded } from '../helpers.js';

/** Opens an SQLite store with `thread`, writes a run's start and end, and reopens the file the other way to read them back. */
async function roundTrip(t: { after(fn: () => Promise<void>): void }, thread: boolean | undefined): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), 'orch-open-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const location = join(dir, 'nested', 'read-model.sqlite');
  const store = await openReadStore({ location, ...(thread === undefined ? {} : { thread }) });
  const kind = store.constructor;
  const result = await store.applyBatch(0, [{ offset: 0, event: runStarted('r1') }, { offset: 1, event: runSucceeded('r1', 2) }], 2);
  assert.deepEqual(result.accepted.map((a) => a.offset), [0, 1]);
  await store.close();
  // The file is the same whichever thread wrote it.
  const other = await openReadStore({ location, thread: thread === false });
  t.after(() => other.close());
  assert.equal((await other.getRun('r1'))?.status, 'SUCCEEDED');
  assert.deepEqual(await other.checkpoint(), [2]);
  return kind;
}

void test('openReadStore: an SQLite store is written on a thread of its own by default', async (t) => {
  assert.equal(await roundTrip(t, undefined), ThreadedSqliteReadStore);
});

void test('openReadStore: with thread false, an SQLite store is written on the caller’s thread', async (t) => {
  assert.equal(await roundTrip(t, false), SqliteReadStore);
});
