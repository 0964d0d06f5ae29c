import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RUN_ID_PATTERN, newRunId, runIdForIdempotencyKey } from '../src/index.js';

void test('newRunId is a UUIDv7: unique, URL-safe and time-ordered', () => {
  const ids = Array.from({ length: 5000 }, () => newRunId());
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) {
    assert.match(id, RUN_ID_PATTERN);
    assert.equal(id[14], '7');
    assert.equal(encodeURIComponent(id), id);
  }
  const sorted = [...ids].sort();
  assert.deepEqual(sorted, ids, 'ids created in sequence sort in creation order');
  const ms = parseInt(ids[0]?.replace(/-/g, '').slice(0, 12) ?? '', 16);
  assert.ok(Math.abs(ms - Date.now()) < 60_000);
});

void test('ids created at a later time sort later', () => {
  const a = newRunId(Date.now() + 10_000);
  const b = newRunId(Date.now() + 20_000);
  assert.ok(a < b);
});

void test('runIdForIdempotencyKey is deterministic and distinct per workflow and key', () => {
  const a = runIdForIdempotencyKey('orders', 'k1');
  assert.equal(runIdForIdempotencyKey('orders', 'k1'), a);
  assert.match(a, RUN_ID_PATTERN);
  assert.equal(a[14], '8');
  assert.notEqual(runIdForIdempotencyKey('orders', 'k2'), a);
  assert.notEqual(runIdForIdempotencyKey('orders2', 'k1'), a);
  // The separator keeps ('ab','c') and ('a','bc') apart.
  assert.notEqual(runIdForIdempotencyKey('ab', 'c'), runIdForIdempotencyKey('a', 'bc'));
});
