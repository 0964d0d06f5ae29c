import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteReadStore } from '../../src/store/sqlite-store.js';
import { runFailed, runStarted, runSucceeded } from '../helpers.js';
import { readStoreContract } from './read-store-contract.js';
import type { StoreFactory } from './read-store-contract.js';
import { append, assertCountsExact, dated, readStoreRetentionContract } from './read-store-retention-contract.js';

const KEPT: unknown[] = [];

const factory: StoreFactory = async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'orch-read-store-'));
  const path = join(dir, 'read-model.sqlite');
  let store = new SqliteReadStore({ path });
  t.after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    store,
    reopen: async () => {
      await store.close();
      store = new SqliteReadStore({ path });
      return store;
    },
  };
};

readStoreContract('sqlite', factory);
readStoreRetentionContract('sqlite', factory);

void test('sqlite: a store file written before the retention gains its column, index and table on open, and expires old and new rows alike', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'orch-read-store-'));
  const path = join(dir, 'read-model.sqlite');
  t.after(() => rm(dir, { recursive: true, force: true }));
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
