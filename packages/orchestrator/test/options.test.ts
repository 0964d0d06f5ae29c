import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OrchError } from '@orchestrator-lite/core';
import type { Transport } from '@orchestrator-lite/transport';
import { compileOrchestratorOptions, DEFAULT_SNAPSHOT_INTERVAL_MS } from '../src/options.js';

// compileOrchestratorOptions only checks that a transport object is present; it never calls it.
const transport = {} as Transport;

test('orchestrator options: the defaults, and the retention sweep a quarter of the retention', () => {
  const o = compileOrchestratorOptions({ transport, runRetentionMs: 2_000 });
  assert.equal(o.maxBatch, 200);
  assert.equal(o.snapshotIntervalMs, DEFAULT_SNAPSHOT_INTERVAL_MS);
  assert.equal(o.clock, Date.now);
  assert.equal(o.retentionSweepMs, 500);
  assert.match(o.instanceId, /^orch-/);
  assert.ok(Object.isFrozen(o));
});

test('orchestrator options: every invalid field is named at once', () => {
  assert.throws(
    () => compileOrchestratorOptions({ transport: undefined as unknown as Transport, maxBatch: 0, maxRecordBytes: 100, runRetentionMs: -1, snapshotIntervalMs: 0.5 }),
    (error: unknown) => {
      assert.ok(error instanceof OrchError);
      assert.equal(error.code, 'ORCH_CONFIG');
      const issues = (error.details as { issues: { field: string; message: string }[] }).issues;
      assert.deepEqual(issues.map((i) => i.field).sort(), ['maxBatch', 'maxRecordBytes', 'runRetentionMs', 'snapshotIntervalMs', 'transport']);
      assert.equal(issues.find((i) => i.field === 'maxRecordBytes')?.message, 'must be an integer >= 1024, got 100');
      return true;
    },
  );
});
