/**
 * The read-store contract on the real PostgreSQL (ORCH_TEST_POSTGRES, default
 * postgres://postgres@127.0.0.1:5432/test): each test gets a schema of its own, dropped after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { RunEvent } from '@orchestrator-lite/core';
import { PostgresReadStore } from '../../src/store/postgres-store.js';
import { runFailed, runStarted, runSucceeded, stepLog } from '../helpers.js';
import { readStoreContract } from './read-store-contract.js';
import type { StoreFactory } from './read-store-contract.js';
import { append, assertCountsExact, dated, readStoreRetentionContract } from './read-store-retention-contract.js';
import { POSTGRES_URL, dropSchema, newSchemaName } from './postgres-helpers.js';

async function sql(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

const factory: StoreFactory = async (t) => {
  const schema = newSchemaName();
  let store = await PostgresReadStore.open({ url: POSTGRES_URL, schema });
  t.after(async () => {
    await store.close();
    await dropSchema(schema);
  });
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await PostgresReadStore.open({ url: POSTGRES_URL, schema });
      return store;
    },
  };
};

readStoreContract('postgres', factory);
readStoreRetentionContract('postgres', factory);

void test('postgres: a schema written before the retention gains its index and table on open', async (t) => {
  const schema = newSchemaName();
  t.after(() => dropSchema(schema));
  const first = await PostgresReadStore.open({ url: POSTGRES_URL, schema });
  await append(first, [runStarted('old', 100), dated(runFailed('old', 2), 1_000), runStarted('live', 100)]);
  await first.close();
  await sql(`DROP INDEX "${schema}".runs_ended; DROP TABLE "${schema}".expired_runs`);
  const store = await PostgresReadStore.open({ url: POSTGRES_URL, schema });
  t.after(() => store.close());
  const { rows } = await sql(`SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND relname IN ('runs_ended', 'expired_runs', 'expired_runs_ended') ORDER BY relname`, [schema]);
  assert.deepEqual(
    rows.map((r) => r.relname),
    ['expired_runs', 'expired_runs_ended', 'runs_ended'],
  );
  assert.deepEqual(await store.expireRuns(2_000, 10), ['old']);
  await assertCountsExact(store);
});

void test('postgres: gateways sweeping one store at once, while late events of the same runs arrive, delete and count each run once', async (t) => {
  const schema = newSchemaName();
  const stores = await Promise.all([0, 1, 2].map(() => PostgresReadStore.open({ url: POSTGRES_URL, schema })));
  t.after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await dropSchema(schema);
  });
  const [a, b, writer] = stores as [PostgresReadStore, PostgresReadStore, PostgresReadStore];
  const runs = 600;
  const events: RunEvent[] = [];
  for (let i = 0; i < runs; i++) {
    events.push(runStarted(`r${i}`, 100, i % 2 === 0 ? 'orders' : 'refunds'), stepLog(`r${i}`, 2), dated(i % 3 === 0 ? runFailed(`r${i}`, 3) : runSucceeded(`r${i}`, 3), 1_000 + i));
  }
  events.push(runStarted('live', 100));
  await append(writer, events);
  // Late log lines of every run (seq 4, dated before the cutoff), written on another partition's
  // batches while two sweeps run: each lands on a run still there (and is folded into it) or on
  // one already deleted (and is dropped).
  const late = (async () => {
    for (let i = 0; i < runs; i += 50) {
      const batch = Array.from({ length: 50 }, (_, j) => ({ offset: i + j, event: dated(stepLog(`r${i + j}`, 4), 1_000 + i + j) }));
      await writer.applyBatch(1, batch, i + 50);
    }
  })();
  const sweep = async (store: PostgresReadStore): Promise<string[]> => {
    const deleted: string[] = [];
    for (let i = 0; i < 100; i++) {
      const slice = await store.expireRuns(10_000, 40);
      deleted.push(...slice);
      if (slice.length === 0) break;
    }
    return deleted;
  };
  const [fromA, fromB] = await Promise.all([sweep(a), sweep(b), late]);
  // Anything the late events kept alive past the sweeps goes now.
  const rest = await sweep(a);
  const all = [...(fromA ?? []), ...(fromB ?? []), ...rest];
  assert.equal(all.length, runs, 'every run deleted once');
  assert.equal(new Set(all).size, runs);
  assert.ok((fromA?.length ?? 0) > 0 && (fromB?.length ?? 0) > 0, `both sweeps deleted runs (${fromA?.length} and ${fromB?.length})`);
  assert.deepEqual(await writer.counts(), { PENDING: 0, RUNNING: 1, SUCCEEDED: 0, FAILED: 0, CANCELLED: 0 });
  await assertCountsExact(writer);
  const { rows } = await sql(`SELECT count(*)::int AS n FROM "${schema}".events WHERE run_id <> 'live'`);
  assert.equal(rows[0]?.n, 0, 'no event of a deleted run is left');
});
