import { mkdirSync, readdirSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createEmbeddedTransport } from '../../src/embedded/index.js';
import { BACKSTOP_CHECKPOINT_PAGES, CHECKPOINT_INTERVAL_MS, checkpointInBackground } from '../../src/embedded/wal-checkpointer.js';
import { readAll, waitFor } from '../../src/conformance/helpers.js';
import { tempDataDir } from './temp-dirs.js';

const size = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

void test('a release returns once the thread has closed its connection: the owner\'s close is then the last, and leaves no WAL behind', async () => {
  const dir = tempDataDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'alone.db');
  for (let round = 0; round < 5; round++) {
    const db = new Database(file);
    // exec only: a prepared statement left to the garbage collector can abort the process on Node 24.
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('CREATE TABLE IF NOT EXISTS t (v BLOB)');
    const release = checkpointInBackground(file);
    db.exec('INSERT INTO t VALUES (zeroblob(65536))');
    // The thread has the file open and has checkpointed it a few times.
    await new Promise((resolve) => setTimeout(resolve, 3 * CHECKPOINT_INTERVAL_MS));
    release();
    db.close();
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('alone.db-')), [], `round ${round}`);
  }
});

void test('the WAL is checkpointed in the background, long before the writer would do it itself', async () => {
  const dataDir = tempDataDir();
  const transport = createEmbeddedTransport({ dataDir });
  try {
    await transport.ensureTopics([{ name: 'wal', partitions: 2 }]);
    const file = join(dataDir, 'bus.db');
    const before = size(file);
    // About 4 MiB in many small commits: far below the writer's own threshold.
    const value = Buffer.alloc(1024, 1);
    for (let i = 0; i < 100; i++) await transport.produce(Array.from({ length: 40 }, (_, j) => ({ topic: 'wal', key: `k${i}-${j}`, value })));
    assert.ok(4 * 1024 * 1024 < BACKSTOP_CHECKPOINT_PAGES * 4096, 'the writer alone would not have checkpointed yet');
    // A checkpoint copies the WAL's pages into the database file: the file grows by about what was written.
    await waitFor(() => size(file) - before > 3 * 1024 * 1024, 'the database file to take in the WAL', 5000);
    const records = [...(await readAll(transport, 'wal', 0)), ...(await readAll(transport, 'wal', 1))];
    assert.equal(records.length, 4000);
  } finally {
    await transport.close();
  }
  // Closed and reopened in the same process: the lock went with the close.
  const again = createEmbeddedTransport({ dataDir });
  try {
    assert.equal((await readAll(again, 'wal', 0)).length + (await readAll(again, 'wal', 1)).length, 4000);
  } finally {
    await again.close();
  }
});
