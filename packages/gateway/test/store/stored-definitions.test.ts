import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import type { RunView } from '@orchestrator-lite/core/projection';
import { DEFINITIONS_SCHEMA, StoredDefinitions } from '../../src/store/stored-definitions.js';

/** Kept reachable: a collected statement can abort the process in better-sqlite3 on Node 24. */
const KEPT: unknown[] = [];

const definition = (name: string): RunView['definition'] => ({ name, steps: [{ id: 'a', task: 'noop' }] }) as RunView['definition'];

function open(): { db: Database.Database; definitions: StoredDefinitions } {
  const db = new Database(':memory:');
  db.exec(DEFINITIONS_SCHEMA);
  const definitions = new StoredDefinitions(db);
  KEPT.push(db, definitions.statements());
  return { db, definitions };
}

void test('stored definitions: one number per definition, by object or by text, and read back by number', () => {
  const { db, definitions } = open();
  const orders = definition('orders');
  const id = definitions.numberOf(orders);
  assert.equal(definitions.numberOf(orders), id);
  // Another object of the same text: the same number, found on file.
  assert.equal(definitions.numberOf(definition('orders')), id);
  assert.notEqual(definitions.numberOf(definition('refunds')), id);
  definitions.forget();
  assert.deepEqual(definitions.get(id), orders);
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM definitions');
  KEPT.push(count);
  assert.equal(count.get()?.n, 2);
  assert.throws(() => definitions.get(99), /definition 99 is missing/);
});

void test('stored definitions: a number given in a transaction that rolls back is given again once forgotten', () => {
  const { db, definitions } = open();
  const orders = definition('orders');
  const given: number[] = [];
  assert.throws(() =>
    db.transaction(() => {
      given.push(definitions.numberOf(orders));
      throw new Error('the batch fails');
    })(),
  );
  definitions.forget();
  const id = definitions.numberOf(orders);
  definitions.forget();
  assert.deepEqual(definitions.get(id), orders);
  assert.equal(given.length, 1);
});
