import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadStore } from '../../src/store/sqlite-store.js';
import { readStoreContract } from './read-store-contract.js';
import type { StoreFactory } from './read-store-contract.js';
import { readStoreRetentionContract } from './read-store-retention-contract.js';

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
