/** The PostgreSQL the tests use (ORCH_TEST_POSTGRES, default the local server), a schema per test. */
import { randomUUID } from 'node:crypto';
import pg from 'pg';

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

