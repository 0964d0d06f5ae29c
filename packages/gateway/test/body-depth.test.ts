import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nestingDepth } from '../src/body-depth.js';

void test('nestingDepth counts containers, not scalars, and stops early past the limit', () => {
  assert.equal(nestingDepth(5), 0);
  assert.equal(nestingDepth(null), 0);
  assert.equal(nestingDepth([]), 1);
  assert.equal(nestingDepth({ a: [1, { b: 'x' }] }), 3);
  assert.equal(nestingDepth([[], [[[]]], {}]), 4);
  let deep: unknown = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.equal(nestingDepth(deep, 10), 11);
});
