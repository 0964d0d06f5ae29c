/**
 * The read-store contract on the real PostgreSQL (ORCH_TEST_POSTGRES, default
 * postgres://postgres@127.0.0.1:5432/test): each test gets a schema of its own, dropped after.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PostgresReadStore } from '../../src/store/postgres-store.js';
import { readStoreContract } from './read-store-contract.js';

export const POSTGRES_URL = process.env.ORCH_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

export function newSchemaName(): string {
  return `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

/** Drops a test's schema with its tables. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

readStoreContract('postgres', async (t) => {
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
});
