/**
 * Property tests of the reducer: random DAGs, random interleavings of worker results, timer
 * firings, duplicates, cancels and retries. Checked after every sequence:
 * (a) every step that was scheduled ends exactly once per run epoch (between RunRetried events),
 * (b) the projection of the emitted events equals toView(final state),
 * (c) seq increases by exactly 1,
 * (d) when every dispatched task eventually completes or fails, the run ends terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TERMINAL_RUN_STATUSES, type RunEvent, type RunInput, type StepDefinition, type WorkflowDefinition } from '../../src/index.js';
import { RunHarness } from './harness.js';

const stepArb = fc.record({
  deps: fc.array(fc.nat(), { maxLength: 3 }),
  maxAttempts: fc.integer({ min: 1, max: 3 }),
  jitter: fc.constantFrom('full' as const, 'equal' as const, 'decorrelated' as const, 'none' as const),
  initial: fc.integer({ min: 0, max: 20 }),
  timeoutMs: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
  heartbeatTimeoutMs: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
});

const definitionArb = fc.array(stepArb, { minLength: 1, maxLength: 7 }).map((specs): WorkflowDefinition => ({
  name: 'prop',
  steps: specs.map((s, i): StepDefinition => {
    const deps = i === 0 ? [] : [...new Set(s.deps.map((d) => `s${d % i}`))];
    return {
      id: `s${i}`,
      task: 't',
      ...(deps.length > 0 ? { dependsOn: deps } : {}),
      input: { x: '${input.x}', deps: deps.map((d) => `\${steps.${d}.output}`) },
      retry: { maxAttempts: s.maxAttempts, jitter: s.jitter, initialIntervalMs: s.initial, maxIntervalMs: 100 },
      ...(s.timeoutMs === undefined ? {} : { timeoutMs: s.timeoutMs }),
      ...(s.heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs: s.heartbeatTimeoutMs }),
    };
  }),
}));

type Action = () => void;

/** The actions possible now: results for any task ever dispatched (stale ones included), timers, duplicates. */
function actionsOf(h: RunHarness, delivered: RunInput[], c: number): Action[] {
  const acts: Action[] = [];
  for (const t of h.tasks) {
    acts.push(
      () => h.started(t.stepId, t.attempt, `w${c % 3}`),
      () => h.heartbeat(t.stepId, t.attempt),
      () => h.progress(t.stepId, t.attempt, (c % 11) / 10),
      () => h.log(t.stepId, t.attempt, 'log'),
      () => h.complete(t.stepId, t.attempt, { by: t.idempotencyKey }),
      () => h.fail(t.stepId, t.attempt),
      () => h.fail(t.stepId, t.attempt, { nonRetryable: true }),
      () => h.fail(t.stepId, t.attempt, { type: 'Later', retryAfterMs: c % 30 }),
    );
  }
  for (const timer of h.state?.timers ?? []) {
    acts.push(() => {
      h.now = Math.max(h.now, timer.dueAt);
      h.fire(timer.id);
    });
  }
  const dup = delivered[c % Math.max(1, delivered.length)];
  if (dup) acts.push(() => h.apply({ ...dup, at: h.now }));
  acts.push(() => h.fire(`retry:s0:${c % 4}`));
  return acts;
}

function drive(h: RunHarness, choices: number[]): RunInput[] {
  const delivered: RunInput[] = [];
  const record = h.apply.bind(h);
  h.apply = (input: RunInput) => {
    delivered.push(input);
    return record(input);
  };
  for (const c of choices) {
    h.now += c % 5;
    if (c % 23 === 0) {
      h.cancel(`cancel ${c}`);
    } else if (c % 29 === 0) {
      h.retryRun();
    } else {
      const acts = actionsOf(h, delivered, c);
      acts[c % acts.length]?.();
    }
  }
  h.apply = record;
  return delivered;
}

/** Lets every in-flight attempt finish (or fail) and every timer fire, until the run ends. */
function drain(h: RunHarness, pick: () => number): void {
  for (let i = 0; i < 2000 && h.state && !TERMINAL_RUN_STATUSES.has(h.state.status); i++) {
    const active = Object.entries(h.state.steps).find(([, s]) => s.status === 'SCHEDULED' || s.status === 'RUNNING');
    if (active) {
      const [id, step] = active;
      const n = step.attempts.at(-1)?.attempt ?? 1;
      if (pick() < 0.6) h.complete(id, n, { done: id });
      else h.fail(id, n);
      continue;
    }
    const next = [...h.state.timers].sort((a, b) => a.dueAt - b.dueAt)[0];
    assert.ok(next, `run stuck in ${h.state.status} with no active step and no timer: ${JSON.stringify(h.state.steps)}`);
    h.now = Math.max(h.now, next.dueAt);
    h.fire(next.id);
  }
}

const TERMINAL_STEP_EVENTS = new Set(['StepSucceeded', 'StepFailed', 'StepSkipped', 'StepCancelled']);

function checkEndsOnce(events: RunEvent[], stepIds: string[]): void {
  let scheduled = new Set<string>();
  let ended = new Map<string, number>();
  const closeEpoch = (runEnded: boolean) => {
    for (const id of stepIds) {
      const n = ended.get(id) ?? 0;
      assert.ok(n <= 1, `step ${id} ended ${n} times in one epoch`);
      if (runEnded && scheduled.has(id)) assert.equal(n, 1, `step ${id} was scheduled but did not end`);
    }
  };
  let runEnded = false;
  for (const e of events) {
    if (e.type === 'RunRetried') {
      closeEpoch(runEnded);
      scheduled = new Set();
      ended = new Map();
      runEnded = false;
    } else if (e.type === 'StepScheduled') {
      scheduled.add(e.data.stepId);
    } else if (TERMINAL_STEP_EVENTS.has(e.type) && 'stepId' in e.data && e.data.stepId !== undefined) {
      ended.set(e.data.stepId, (ended.get(e.data.stepId) ?? 0) + 1);
    } else if (e.type === 'RunSucceeded' || e.type === 'RunFailed' || e.type === 'RunCancelled') {
      assert.equal(runEnded, false, 'the run ended twice in one epoch');
      runEnded = true;
    }
  }
  closeEpoch(runEnded);
}

void test('random interleavings keep the reducer invariants', () => {
  fc.assert(
    fc.property(definitionArb, fc.array(fc.nat({ max: 10_000 }), { maxLength: 120 }), fc.integer(), (def, choices, seed) => {
      const h = new RunHarness(def, { seed });
      h.start({ x: seed });
      drive(h, choices);
      h.checkInvariants();
      checkEndsOnce(h.events, def.steps.map((s) => s.id));
      let r = seed >>> 0;
      drain(h, () => ((r = (r * 1103515245 + 12345) >>> 0) / 2 ** 32));
      assert.ok(h.state && TERMINAL_RUN_STATUSES.has(h.state.status), `run ended ${h.state?.status}`);
      assert.deepEqual(h.state.timers, []);
      h.checkInvariants();
      checkEndsOnce(h.events, def.steps.map((s) => s.id));
    }),
    { numRuns: 300 },
  );
});

void test('every run of a random DAG whose tasks all succeed ends SUCCEEDED with every step once', () => {
  fc.assert(
    fc.property(definitionArb, (def) => {
      const h = new RunHarness(def);
      h.start({ x: 1 });
      drain(h, () => 0);
      assert.equal(h.state?.status, 'SUCCEEDED');
      assert.equal(h.ofType('StepSucceeded').length, def.steps.length);
      for (const t of h.tasks) {
        const deps = def.steps.find((s) => s.id === t.stepId)?.dependsOn ?? [];
        assert.deepEqual(t.input, { x: 1, deps: deps.map((d) => ({ done: d })) });
      }
      h.checkInvariants();
    }),
    { numRuns: 200 },
  );
});

void test('replaying every input twice changes nothing the second time', () => {
  fc.assert(
    fc.property(definitionArb, fc.array(fc.nat({ max: 10_000 }), { maxLength: 60 }), (def, choices) => {
      const h = new RunHarness(def, { seed: 3 });
      h.start({ x: 0 });
      const delivered = drive(h, choices);
      const finalState = h.state;
      const count = h.events.length;
      for (const input of delivered) {
        if (input.type === 'TimerFired' || input.type === 'CancelRun' || input.type === 'RetryRun') continue;
        const r = h.apply(input);
        // A stale or duplicate result never changes the run; a new one for the current attempt may.
        if (input.type === 'TaskCompleted' || input.type === 'TaskFailed') {
          const step = finalState?.steps[input.stepId];
          if (step && step.attempts.at(-1)?.attempt !== input.attempt) assert.equal(r.events.length, 0);
        }
      }
      assert.ok(h.events.length >= count);
      h.checkInvariants();
    }),
    { numRuns: 150 },
  );
});
