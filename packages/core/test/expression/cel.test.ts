import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateCel, parseCel } from '../../src/index.js';

const vars = { input: { amount: 150, lines: [{ sku: 'a' }, { sku: 'b' }], at: '2026-12-01T12:00:00Z' }, steps: { s: { status: 'SUCCEEDED', output: { n: 3 } } }, run: { id: 'r', workflow: 'w' } };

void test('conditions read input, step outputs and statuses, and the run', () => {
  assert.deepEqual(evaluateCel('input.amount > 100 && steps.s.output.n == 3', vars), { ok: true, value: true });
  assert.deepEqual(evaluateCel("steps.s.status == 'SUCCEEDED' && run.workflow == 'w'", vars), { ok: true, value: true });
});

void test('values come back as JSON: lists, maps, ints, timestamps', () => {
  assert.deepEqual(evaluateCel('input.lines.map(l, l.sku)', vars), { ok: true, value: ['a', 'b'] });
  assert.deepEqual(evaluateCel('[1, 2].map(x, {"n": x})', vars), { ok: true, value: [{ n: 1 }, { n: 2 }] });
  assert.deepEqual(evaluateCel("timestamp(input.at) + duration('90m')", vars), { ok: true, value: '2026-12-01T13:30:00.000Z' });
});

void test('errors come back as messages, never thrown', () => {
  const missing = evaluateCel('input.nope', vars);
  assert.equal(missing.ok, false);
  assert.equal(parseCel('1 +').ok, false);
});
