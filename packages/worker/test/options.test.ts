import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OrchError } from '@orchestrator-lite/core';
import type { Transport } from '@orchestrator-lite/transport';
import { compileWorkerOptions } from '../src/options.js';
import { defineTask } from '../src/task.js';

// compileWorkerOptions only checks that a transport object is present; it never calls it.
const transport = {} as Transport;
const echo = defineTask('echo', (input: unknown) => input);

function issuesOf(options: Partial<Parameters<typeof compileWorkerOptions>[0]>): { field: string; message: string }[] {
  try {
    compileWorkerOptions({ transport, tasks: [echo], ...options });
  } catch (error) {
    assert.ok(error instanceof OrchError);
    assert.equal(error.code, 'ORCH_CONFIG');
    assert.match(error.message, /^invalid worker options: /);
    return (error.details as { issues: { field: string; message: string }[] }).issues;
  }
  return [];
}

test('worker options: the defaults', () => {
  const o = compileWorkerOptions({ transport, tasks: [echo] });
  assert.equal(o.concurrency, 16);
  assert.equal(o.topicPrefix, 'orch.');
  assert.equal(o.partitions, undefined);
  assert.match(o.workerId, /^worker-/);
  assert.deepEqual(o.tasks, [echo]);
  assert.ok(Object.isFrozen(o));
});

test('worker options: every invalid field is named at once', () => {
  const issues = issuesOf({ tasks: [echo, echo], concurrency: 0, startReportDelayMs: 1.5, partitions: -2 });
  assert.deepEqual(issues.map((i) => i.field).sort(), ['concurrency', 'partitions', 'startReportDelayMs', 'tasks[1].name']);
  assert.equal(issues.find((i) => i.field === 'tasks[1].name')?.message, '"echo" is defined twice');
  assert.equal(issues.find((i) => i.field === 'concurrency')?.message, 'must be an integer >= 1, got 0');
  assert.deepEqual(issuesOf({ tasks: [] }), [{ field: 'tasks', message: 'at least one task is needed' }]);
});
