/**
 * Opens the read store a gateway is configured with: a PostgreSQL URL (`postgres://…` or
 * `postgresql://…`) or an SQLite file (a path, or `:memory:`), which a thread of its own writes
 * (sqlite-thread.ts), or the caller's own when asked (a gateway that runs on a thread of its own).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqliteReadStore } from './sqlite-store.js';
import { ThreadedSqliteReadStore } from './sqlite-thread.js';
import type { ReadStore } from './types.js';

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

export interface OpenStoreOptions {
  /** `postgres://…`, a file path, or `:memory:`. */
  location: string;
  /** PostgreSQL schema holding the tables. @default 'public' */
  schema?: string;
  /** Hears what opening the store does that takes long, as it happens. */
  onNote?: (note: string) => void;
  /** Whether an SQLite store is written on a thread of its own, or on the caller's. @default true */
  thread?: boolean;
}

export async function openReadStore(options: OpenStoreOptions): Promise<ReadStore> {
  if (isPostgresUrl(options.location)) {
    const { PostgresReadStore } = await import('./postgres-store.js');
    return PostgresReadStore.open({ url: options.location, ...(options.schema === undefined ? {} : { schema: options.schema }) });
  }
  if (options.location !== ':memory:') mkdirSync(dirname(options.location), { recursive: true });
  if (options.thread === false) return new SqliteReadStore({ path: options.location, ...(options.onNote === undefined ? {} : { onNote: options.onNote }) });
  return ThreadedSqliteReadStore.open({ path: options.location }, options.onNote);
}
