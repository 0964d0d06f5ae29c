import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunHarness, type WorkflowDefinition } from '../harness.js';

/** A switch on the check's score, two branches, and a join. */
const switchJoin: WorkflowDefinition = {
  name: 'switch',
  steps: [
    { id: 'check', task: 'check' },
    { id: 'high', task: 'high', dependsOn: ['check'], if: 'steps.check.output.score > 0.5' },
    { id: 'high2', task: 'high2', dependsOn: ['high'] },
    { id: 'low', task: 'low', dependsOn: ['check'], if: 'steps.check.output.score <= 0.5' },
    { id: 'join', task: 'join', dependsOn: ['high2', 'low'], input: { low: '${steps.low.output}' } },
  ],
};

void test('a false condition skips its step with the reason, its branch skips whole, and the join runs', () => {
  const h = new RunHarness(switchJoin);
  h.start();
  h.complete('check', 1, { score: 0.2 });
  const high = h.state?.steps.high;
  assert.equal(high?.status, 'SKIPPED');
  assert.deepEqual(high?.skip, { cause: 'condition', reason: 'condition "steps.check.output.score > 0.5" is false' });
  assert.deepEqual(h.state?.steps.high2?.skip, { cause: 'branch', reason: 'every dependency was skipped' });
  assert.equal(h.state?.steps.low?.status, 'SCHEDULED');
  assert.equal(h.state?.steps.join?.status, 'PENDING');
  h.complete('low', 1, 'L');
  assert.equal(h.state?.steps.join?.status, 'SCHEDULED');
  assert.deepEqual(h.tasks.at(-1)?.input, { low: 'L' });
  h.complete('join');
  assert.equal(h.state?.status, 'SUCCEEDED');
  h.checkInvariants();
});

void test('a failure still spreads through the steps after it, and the run fails', () => {
  const h = new RunHarness({
    name: 'w',
    steps: [
      { id: 'a', task: 'a', retry: { maxAttempts: 1 } },
      { id: 'b', task: 'b', dependsOn: ['a'] },
      { id: 'c', task: 'c' },
      { id: 'd', task: 'd', dependsOn: ['b', 'c'] },
    ],
  });
  h.start();
  h.fail('a');
  assert.equal(h.state?.steps.b?.skip?.cause, 'failure');
  assert.equal(h.state?.steps.d?.status, 'SKIPPED');
  assert.match(h.state?.steps.d?.skip?.reason ?? '', /dependency "b" was skipped after a failure/);
  h.complete('c');
  assert.equal(h.state?.status, 'FAILED');
  h.checkInvariants();
});

void test('a condition that fails to evaluate or is not a bool fails the step with ORCH_EXPRESSION', () => {
  const h = new RunHarness({
    name: 'w',
    steps: [
      { id: 'a', task: 'a', if: 'input.missing == 1' },
      { id: 'b', task: 'b', if: 'input.n' },
    ],
  });
  h.start({ n: 3 });
  assert.equal(h.state?.steps.a?.status, 'FAILED');
  assert.equal(h.state?.steps.a?.error?.type, 'ORCH_EXPRESSION');
  assert.match(h.state?.steps.b?.error?.message ?? '', /step "b" if: "input.n" gave 3, not a bool/);
  assert.equal(h.state?.status, 'FAILED');
  h.checkInvariants();
});

void test('a run whose every step is skipped by conditions succeeds', () => {
  const h = new RunHarness({ name: 'w', steps: [{ id: 'a', task: 'a', if: 'run.workflow == "other"' }] });
  h.start();
  assert.equal(h.state?.status, 'SUCCEEDED');
  h.checkInvariants();
});
