/**
 * Property tests of the v2 language in the reducer: random DAGs of task, forEach, sleep, wait and
 * workflow steps with random conditions, driven by random interleavings of results, timer
 * firings, signals (early, late, unknown, duplicated), child outcomes, cancels and retries.
 * Checked: every step and item ends at most once per run epoch, and exactly once when it started
 * and the run ended; the projection of the events equals the state; the run always ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TERMINAL_RUN_STATUSES, TERMINAL_STEP_STATUSES, type RunEvent, type StepDefinition, type WorkflowDefinition } from '../../src/index.js';
import { RunHarness } from './harness.js';

const kindArb = fc.constantFrom('task', 'task', 'forEach', 'sleep', 'wait', 'workflow');
const stepArb = fc.record({
  kind: kindArb,
  deps: fc.array(fc.nat(), { maxLength: 3 }),
  cond: fc.constantFrom(undefined, 'input.flag', '!input.flag', 'input.n > 2', 'input.missing'),
  maxAttempts: fc.integer({ min: 1, max: 3 }),
  maxParallel: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  timeoutMs: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
  signal: fc.constantFrom('a', 'b'),
});

const definitionArb = fc.array(stepArb, { minLength: 1, maxLength: 6 }).map((specs): WorkflowDefinition => ({
  name: 'lang',
  steps: specs.map((s, i): StepDefinition => {
    const deps = i === 0 ? [] : [...new Set(s.deps.map((d) => `s${d % i}`))];
    const common = { id: `s${i}`, ...(deps.length > 0 ? { dependsOn: deps } : {}), ...(s.cond === undefined ? {} : { if: s.cond }) };
    const retry = { maxAttempts: s.maxAttempts, initialIntervalMs: 3, maxIntervalMs: 10 };
    switch (s.kind) {
      case 'forEach':
        return { ...common, task: 't', forEach: 'input.items', input: { it: '${item}', i: '${index}' }, retry, ...(s.maxParallel === undefined ? {} : { maxParallel: s.maxParallel }) };
      case 'sleep':
        return { ...common, type: 'sleep', durationMs: s.timeoutMs ?? 0 };
      case 'wait':
        return { ...common, type: 'wait', signal: s.signal, ...(s.timeoutMs === undefined ? {} : { timeoutMs: s.timeoutMs }) };
      case 'workflow':
        return { ...common, type: 'workflow', workflow: 'child', retry };
      default:
        return { ...common, task: 't', retry, ...(s.timeoutMs === undefined ? {} : { timeoutMs: s.timeoutMs }) };
    }
  }),
}));

const inputArb = fc.record({ flag: fc.boolean(), n: fc.integer({ min: 0, max: 5 }), items: fc.array(fc.nat({ max: 9 }), { maxLength: 4 }) });

const STARTS = new Set(['StepScheduled', 'StepSleeping', 'StepWaiting', 'ChildRunStarted', 'ForEachExpanded']);
const ENDS = new Set(['StepSucceeded', 'StepFailed', 'StepSkipped', 'StepCancelled']);

function stepOf(e: RunEvent): string | undefined {
  return 'stepId' in e.data ? e.data.stepId : undefined;
}

/** Every step and item ends at most once per epoch; once the run ends, each one that started has ended. */
function checkEndsOnce(events: RunEvent[]): void {
  let started = new Set<string>();
  let ended = new Map<string, number>();
  let runEnded = false;
  const close = (): void => {
    for (const [id, n] of ended) assert.ok(n <= 1, `${id} ended ${n} times in one epoch`);
    if (runEnded) for (const id of started) assert.equal(ended.get(id), 1, `${id} started but did not end`);
  };
  for (const e of events) {
    const id = stepOf(e);
    if (e.type === 'RunRetried') {
      close();
      started = new Set();
      ended = new Map();
      runEnded = false;
    } else if (id !== undefined && STARTS.has(e.type)) {
      // A retry re-schedules a step that has not ended: only the first start counts.
      if (!ended.has(id)) started.add(id);
    } else if (id !== undefined && ENDS.has(e.type)) {
      ended.set(id, (ended.get(id) ?? 0) + 1);
    } else if (e.type === 'RunSucceeded' || e.type === 'RunFailed' || e.type === 'RunCancelled') {
      assert.equal(runEnded, false, 'the run ended twice in one epoch');
      runEnded = true;
    }
  }
  close();
}

function act(h: RunHarness, c: number): void {
  const state = h.state;
  if (!state) return;
  const acts: (() => void)[] = [];
  for (const t of h.tasks.slice(-8)) {
    acts.push(
      () => h.started(t.stepId, t.attempt),
      () => h.complete(t.stepId, t.attempt, c),
      () => h.fail(t.stepId, t.attempt),
    );
  }
  for (const timer of state.timers) {
    acts.push(() => {
      h.now = Math.max(h.now, timer.dueAt);
      h.fire(timer.id);
    });
  }
  acts.push(() => h.signal(c % 2 === 0 ? 'a' : 'b', { c }), () => h.signal('zzz'));
  for (const cmd of h.commands) {
    if (cmd.type !== 'StartChildRun') continue;
    const status = (['SUCCEEDED', 'FAILED', 'CANCELLED'] as const)[c % 3]!;
    acts.push(() => h.childEnded(cmd.parentStepId, status, { c }, cmd.runId));
  }
  if (c % 31 === 0) acts.push(() => h.cancel('stop'));
  if (c % 17 === 0) acts.push(() => h.retryRun());
  acts[c % acts.length]?.();
}

/** Finishes whatever is open, success first, until the run ends. */
function drain(h: RunHarness): void {
  for (let i = 0; i < 500 && h.state && !TERMINAL_RUN_STATUSES.has(h.state.status); i++) {
    const s = h.state;
    const task = h.tasks.find((t) => {
      const step = t.stepId.includes('[') ? s.steps[t.stepId.split('[')[0]!]?.items?.[Number(t.stepId.slice(t.stepId.indexOf('[') + 1, -1))] : s.steps[t.stepId];
      return step && !TERMINAL_STEP_STATUSES.has(step.status) && step.attempts.at(-1)?.attempt === t.attempt && (step.status === 'SCHEDULED' || step.status === 'RUNNING');
    });
    if (task) {
      h.complete(task.stepId, task.attempt, 'done');
      continue;
    }
    const waiting = Object.values(s.steps).find((st) => st.status === 'RUNNING' && st.waitingFor);
    if (waiting?.waitingFor) {
      h.signal(waiting.waitingFor.signal, 'ok');
      continue;
    }
    const child = Object.entries(s.steps).find(([, st]) => st.status === 'RUNNING' && st.childRunId);
    if (child) {
      h.childEnded(child[0], 'SUCCEEDED', 'child-done');
      continue;
    }
    const next = [...s.timers].sort((a, b) => a.dueAt - b.dueAt)[0];
    assert.ok(next, `run stuck in ${s.status} with nothing open: ${JSON.stringify(s.steps)}`);
    h.now = Math.max(h.now, next.dueAt);
    h.fire(next.id);
  }
}

void test('every step ends exactly once whatever the branch, the items and the signal timing', () => {
  fc.assert(
    fc.property(definitionArb, inputArb, fc.array(fc.nat({ max: 10_000 }), { maxLength: 80 }), (def, input, choices) => {
      const h = new RunHarness(def, { seed: choices.length });
      h.start(input);
      for (const c of choices) {
        h.now += c % 4;
        act(h, c);
      }
      h.checkInvariants();
      checkEndsOnce(h.events);
      drain(h);
      assert.ok(h.state && TERMINAL_RUN_STATUSES.has(h.state.status), `run ended ${h.state?.status}`);
      assert.deepEqual(h.state.timers, []);
      for (const [id, step] of Object.entries(h.state.steps)) {
        assert.ok(TERMINAL_STEP_STATUSES.has(step.status), `step ${id} is ${step.status} in an ended run`);
      }
      h.checkInvariants();
      checkEndsOnce(h.events);
    }),
    { numRuns: 400 },
  );
});

void test('when every task, signal and child succeeds, the run ends SUCCEEDED or FAILED only through expressions', () => {
  fc.assert(
    fc.property(definitionArb, inputArb, (def, input) => {
      const h = new RunHarness(def);
      h.start(input);
      drain(h);
      const failed = Object.values(h.state?.steps ?? {}).filter((s) => s.status === 'FAILED');
      for (const s of failed) assert.equal(s.error?.type, 'ORCH_EXPRESSION', JSON.stringify(s.error));
      assert.equal(h.state?.status, failed.length === 0 ? 'SUCCEEDED' : 'FAILED');
      h.checkInvariants();
    }),
    { numRuns: 300 },
  );
});
