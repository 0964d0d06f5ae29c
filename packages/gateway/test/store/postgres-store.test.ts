/**
 * The read-store contract on the real PostgreSQL (ORCH_TEST_POSTGRES, default
 * postgres://postgres@127.0.0.1:5432/test): each test gets a schema of its own, dropped after.
 */
import { PostgresReadStore } from '../../src/store/postgres-store.js';
import { readStoreContract } from './read-store-contract.js';
import type { StoreFactory } from './read-store-contract.js';
import { readStoreRetentionContract } from './read-store-retention-contract.js';
import { POSTGRES_URL, dropSchema, newSchemaName } from './postgres-helpers.js';

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
