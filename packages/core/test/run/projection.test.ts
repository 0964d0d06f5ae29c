import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrchError, applyEvent, isTerminalRunStatus, isTerminalStepStatus, projectRun, readySteps, toView, workflow } from '../../src/index.js';
import { RunHarness } from './harness.js';

const def = workflow('p')
  .step('a', 't', { retry: { jitter: 'none', initialIntervalMs: 10 } })
  .step('b', 't', { dependsOn: ['a'] })
  .build();

function sampleRun(): RunHarness {
  const h = new RunHarness(def);
  h.start({ q: 1 });
  h.started('a');
  h.progress('a', 1, 0.25, 'quarter');
  h.fail('a', 1, { message: 'first' });
  h.fireTimer('retry:a:1');
  h.complete('a', 2, { v: 2 });
  return h;
}

void test('the projection of the events equals the view of the state', () => {
  const h = sampleRun();
  const view = projectRun(h.events);
  assert.deepEqual(view, toView(h.state ?? assert.fail('no state')));
  assert.equal(view?.steps.a?.status, 'SUCCEEDED');
  assert.deepEqual(view?.steps.a?.attempts[0]?.progress, { fraction: 0.25, message: 'quarter' });
  assert.equal(view?.steps.a?.attempts[0]?.retry?.delayMs, 10);
  assert.equal(view?.steps.b?.status, 'SCHEDULED');
  assert.equal(view?.lastSeq, h.events.length);
});

void test('toView strips the runtime fields', () => {
  const h = sampleRun();
  const state = { ...(h.state ?? assert.fail('no state')), applied: { 'commands/0': 4 }, stateVersion: 9, epoch: 2, attemptBase: { a: 1 } };
  const view = toView(state);
  for (const key of ['timers', 'lastDelayMs', 'applied', 'stateVersion', 'epoch', 'attemptBase']) {
    assert.equal(Object.hasOwn(view, key), false, key);
  }
});

void test('applyEvent ignores duplicates (seq <= lastSeq) and never mutates the view', () => {
  const h = sampleRun();
  let view = projectRun(h.events);
  assert.ok(view);
  const frozen = structuredClone(view);
  for (const e of h.events) assert.equal(applyEvent(view, e), view);
  assert.deepEqual(view, frozen);
  h.complete('b', 1, 'B');
  const fresh = h.events.filter((e) => e.seq > frozen.lastSeq);
  for (const e of fresh) view = applyEvent(view, e);
  assert.deepEqual(view, toView(h.state ?? assert.fail()));
  assert.equal(frozen.steps.b?.status, 'SCHEDULED', 'the earlier view is untouched');
});

void test('projectRun sorts by seq and drops redeliveries', () => {
  const h = sampleRun();
  const shuffled = [...h.events].reverse().concat(h.events.slice(0, 4));
  assert.deepEqual(projectRun(shuffled), projectRun(h.events));
  assert.equal(projectRun([]), undefined);
});

void test('an event before RunStarted is a clear error', () => {
  const h = sampleRun();
  const second = h.events[1] ?? assert.fail();
  assert.throws(() => applyEvent(undefined, second), (err: unknown) => err instanceof OrchError && /before RunStarted/.test(err.message));
});

void test('readySteps and the terminal-status helpers read a view', () => {
  const h = new RunHarness(workflow('q').step('a', 't').step('b', 't', { dependsOn: ['a'] }).step('c', 't').build());
  h.start();
  const view = projectRun(h.events) ?? assert.fail();
  assert.deepEqual(readySteps(view), []);
  const pendingB = { ...view, steps: { ...view.steps, a: { ...(view.steps.a ?? assert.fail()), status: 'SUCCEEDED' as const } } };
  assert.deepEqual(readySteps(pendingB), ['b']);
  assert.equal(isTerminalRunStatus('CANCELLED'), true);
  assert.equal(isTerminalRunStatus('RUNNING'), false);
  assert.equal(isTerminalStepStatus('SKIPPED'), true);
  assert.equal(isTerminalStepStatus('RETRY_WAIT'), false);
});
