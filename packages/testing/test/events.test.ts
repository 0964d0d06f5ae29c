import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent } from '@orchestrator-lite/core';
import { copiesBySeq } from '../src/index.js';

const runId = 'run-1';
const retry = (dueAt: number, jitterMs: number): RunEvent => ({
  runId,
  seq: 3,
  type: 'RetryScheduled',
  at: dueAt - 5,
  data: { stepId: 'a', attempt: 1, nextAttempt: 2, jitter: 'full', baseDelayMs: 10, jitterMs, delayMs: 10 + jitterMs, dueAt },
});
const succeeded = (output: unknown, startedAt: number, workerId = 'w1'): RunEvent => ({
  runId,
  seq: 5,
  type: 'StepSucceeded',
  at: startedAt + 1,
  data: { stepId: 'a', attempt: 2, output, workerId, startedAt },
});

void test('copies of a seq that differ only in their clock fields are the same event', () => {
  const events = [retry(1_000, 3), retry(14_000, 3), succeeded({ n: 1 }, 2_000), succeeded({ n: 1 }, 15_000)];
  const copies = copiesBySeq(events);
  assert.deepEqual([...copies.first.keys()], [3, 5]);
  assert.equal(copies.first.get(3), events[0]);
  assert.equal(copies.duplicates, 2);
  assert.deepEqual(copies.differing, []);
});

void test('a copy with another jitter, output, worker or type is told apart, by its seq', () => {
  const other: RunEvent = { runId, seq: 5, type: 'RunSucceeded', at: 0, data: { output: { n: 1 } } };
  const events = [retry(1_000, 3), retry(1_000, 4), succeeded({ n: 1 }, 2_000), succeeded({ n: 2 }, 2_000), succeeded({ n: 1 }, 2_000, 'w2'), other];
  const { duplicates, differing } = copiesBySeq(events);
  assert.equal(duplicates, 4);
  assert.equal(differing.length, 4);
  assert.match(differing[0]!, /^seq 3 is both .*"jitterMs":3.* and .*"jitterMs":4/);
  assert.match(differing[1]!, /^seq 5 is both .*"n":1.* and .*"n":2/);
  assert.match(differing[2]!, /^seq 5 is both .*"w1".* and .*"w2"/);
  assert.match(differing[3]!, /^seq 5 is both \{"type":"StepSucceeded".* and \{"type":"RunSucceeded"/);
});
