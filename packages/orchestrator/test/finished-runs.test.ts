import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { newRunId } from '@orchestrator-lite/core';
import type { RunStatus } from '@orchestrator-lite/core';
import { FinishedRuns } from '../src/finished-runs.js';
import type { FinishedRun } from '../src/finished-runs.js';

const statuses: RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
/** Run ids of every shape the index packs differently: UUIDs (lower and upper case), short and non-ASCII ids. */
const runIds = fc.constantFrom(
  ...Array.from({ length: 12 }, (_, i) => `01900000-0000-7000-8000-${String(i).padStart(12, '0')}`),
  '01900000-0000-7000-8000-00000000000A',
  'r1',
  'r2',
  'run-ü',
  'x'.repeat(300),
);
const entries = fc.record({
  status: fc.constantFrom(...statuses),
  at: fc.integer({ min: 0, max: 2 ** 45 }),
  digest: fc.constantFrom('d1', 'd2', 'd3'),
  payloads: fc.boolean(),
  headerOnly: fc.boolean(),
});
const op = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), runId: runIds, entry: entries }),
  fc.record({ kind: fc.constant('delete' as const), runId: runIds }),
);

test('behaves as a map kept in the order runs ended, under any sequence of ends, reopens and expiries', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const index = new FinishedRuns();
      const model = new Map<string, FinishedRun>();
      for (const o of ops) {
        if (o.kind === 'set') {
          model.delete(o.runId);
          model.set(o.runId, { ...o.entry });
          index.set(o.runId, o.entry);
        } else {
          assert.equal(index.delete(o.runId), model.delete(o.runId));
        }
        assert.equal(index.size, model.size);
      }
      assert.deepEqual([...index.entries()], [...model.entries()]);
      for (const [runId, entry] of model) {
        assert.equal(index.has(runId), true);
        assert.deepEqual(index.get(runId), entry);
      }
    }),
  );
});

test('holds 100,000 retained runs in a few dozen bytes each, and drops the space of deleted ones', () => {
  const index = new FinishedRuns();
  const ids = Array.from({ length: 100_000 }, () => newRunId());
  for (const [i, runId] of ids.entries()) index.set(runId, { status: 'SUCCEEDED', at: i, digest: 'd', payloads: false, headerOnly: true });
  assert.equal(index.size, 100_000);
  const perRun = index.bytes / index.size;
  assert.ok(perRun <= 60, `${perRun.toFixed(1)} bytes a run`);
  assert.equal(index.get(ids[77_777]!)?.at, 77_777);
  for (const runId of ids.slice(0, 90_000)) index.delete(runId);
  assert.equal(index.size, 10_000);
  assert.ok(index.bytes < 100_000 * 20, `${index.bytes} bytes held for 10,000 runs`);
  assert.deepEqual(
    [...index.entries()].slice(0, 2).map(([runId]) => runId),
    ids.slice(90_000, 90_002),
  );
});
