/** Comparing a run with its rerun, and the pure helpers of the operations pages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTs } from './load-ts.mjs';

const definition = {
  name: 'checked',
  steps: [
    { id: 'prepare', task: 'demo.echo' },
    { id: 'check', task: 'demo.flaky', dependsOn: ['prepare'] },
    { id: 'finish', task: 'demo.echo', dependsOn: ['check'] },
  ],
};

const step = (status, extra = {}) => ({ status, task: 'demo.echo', dependsOn: [], attempts: [{ attempt: 1, status, scheduledAt: 1 }], ...extra });

function run(runId, status, input, steps, extra = {}) {
  return { runId, workflow: 'checked', version: 1, status, input, createdAt: 1, updatedAt: 2, lastSeq: 9, definition, steps, ...extra };
}

const base = run('r1', 'FAILED', { value: 'v', failTimes: 5 }, {
  prepare: step('SUCCEEDED', { output: { value: 'v', n: 1 } }),
  check: step('FAILED', { error: { type: 'Error', message: 'flaky: attempt 1 fails' } }),
  finish: { status: 'SKIPPED', task: 'demo.echo', dependsOn: ['check'], attempts: [] },
});
const rerun = run('r2', 'SUCCEEDED', { failTimes: 0, value: 'v' }, {
  prepare: { status: 'SUCCEEDED', task: 'demo.echo', dependsOn: [], attempts: [], output: { n: 1, value: 'v' } },
  check: step('SUCCEEDED', { output: { ok: true } }),
  finish: step('SUCCEEDED', { output: { checked: { ok: true } } }),
}, { rerunOf: { runId: 'r1', fromStep: 'check' } });

test('compareRuns marks the reused step as reused and unchanged, and the rerun steps that differ in status or output', async (t) => {
  const { compareRuns } = await loadTs(t, ['store/run-diff.ts']);
  const c = compareRuns(base, rerun, new Set(['prepare']));
  assert.deepEqual(c.steps.map((s) => s.stepId), ['prepare', 'check', 'finish']);
  const [prepare, check, finish] = c.steps;
  assert.equal(prepare.reused, true);
  assert.equal(prepare.changed, false, 'same output in another key order is no change');
  assert.equal(check.reused, false);
  assert.equal(check.statusChanged, true);
  assert.equal(check.outputChanged, true, 'an error on one side and an output on the other differ');
  assert.deepEqual(check.base.error, { type: 'Error', message: 'flaky: attempt 1 fails' });
  assert.equal(finish.statusChanged, true);
  assert.equal(finish.base.attempts, 0);
  assert.equal(c.changedSteps, 2);
  assert.equal(c.inputChanged, true);
  assert.deepEqual(c.status, { base: 'FAILED', rerun: 'SUCCEEDED', changed: true });
});

test('compareRuns: a rerun identical to its base shows no difference; a step only one run has is listed and differs', async (t) => {
  const { compareRuns } = await loadTs(t, ['store/run-diff.ts']);
  const same = compareRuns(base, { ...base, runId: 'r3' }, new Set());
  assert.equal(same.changedSteps, 0);
  assert.equal(same.inputChanged, false);
  assert.equal(same.outputChanged, false);
  const older = { ...base, definition: { ...definition, steps: [...definition.steps, { id: 'gone', task: 'demo.echo' }] }, steps: { ...base.steps, gone: step('SUCCEEDED') } };
  const c = compareRuns(older, rerun, new Set());
  const gone = c.steps.at(-1);
  assert.equal(gone.stepId, 'gone');
  assert.equal(gone.rerun, undefined);
  assert.equal(gone.changed, true);
});

test('reusedSteps reads the StepReused events; rerunPlan splits the steps as the gateway does (the step and everything downstream run again)', async (t) => {
  const { reusedSteps, rerunPlan } = await loadTs(t, ['store/run-diff.ts']);
  const events = [
    { runId: 'r2', seq: 1, type: 'RunStarted', at: 1, data: { workflow: 'checked', version: 1, definition } },
    { runId: 'r2', seq: 2, type: 'StepReused', at: 1, data: { stepId: 'prepare', fromRunId: 'r1', output: {} } },
    { runId: 'r2', seq: 3, type: 'StepScheduled', at: 1, data: { stepId: 'check', attempt: 1 } },
  ];
  assert.deepEqual([...reusedSteps(events)], ['prepare']);
  const diamond = { steps: [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['a'] }, { id: 'd', dependsOn: ['b', 'c'] }] };
  assert.deepEqual(rerunPlan(diamond, 'c'), { rerun: ['c', 'd'], reuse: ['a', 'b'] });
  assert.deepEqual(rerunPlan(diamond, 'a'), { rerun: ['a', 'b', 'c', 'd'], reuse: [] });
});

test('sameJson ignores key order only', async (t) => {
  const { sameJson } = await loadTs(t, ['store/run-diff.ts']);
  assert.equal(sameJson({ a: 1, b: [1, { x: 2, y: 3 }] }, { b: [1, { y: 3, x: 2 }], a: 1 }), true);
  assert.equal(sameJson({ a: 1 }, { a: '1' }), false);
  assert.equal(sameJson([1, 2], [2, 1]), false);
  assert.equal(sameJson(undefined, null), false);
  assert.equal(sameJson(undefined, undefined), true);
});

test('scheduleBody keeps the schedule as it is with paused toggled; describeValue says how a dead letter reads', async (t) => {
  const { scheduleBody, describeValue } = await loadTs(t, ['store/ops.ts']);
  const item = {
    name: 'nightly', workflow: 'diamond', cron: '0 2 * * *', timezone: 'Europe/Paris', input: { value: 1 }, overlap: 'allow', catchup: 'last',
    paused: false, createdAt: 1, updatedAt: 2, nextFireAt: 3, lastFireAt: null, lastRuns: [],
  };
  assert.deepEqual(scheduleBody(item, true), { workflow: 'diamond', cron: '0 2 * * *', timezone: 'Europe/Paris', input: { value: 1 }, overlap: 'allow', catchup: 'last', paused: true });
  assert.equal(scheduleBody({ ...item, version: 4 }, false).version, 4);
  assert.deepEqual(describeValue({ value: { v: 9, type: 'StartRun' } }), { kind: 'json', text: '{\n  "v": 9,\n  "type": "StartRun"\n}' });
  assert.deepEqual(describeValue({ value: 'not json', valueEncoding: 'utf8' }), { kind: 'utf8', text: 'not json' });
  assert.equal(describeValue({ value: '//4A', valueEncoding: 'base64' }).kind, 'base64');
  assert.equal(describeValue({ value: null }).kind, 'empty');
});

test('formatRelative counts down to a future time and up from a past one', async (t) => {
  const { formatRelative } = await loadTs(t, ['components/format-time.ts']);
  assert.equal(formatRelative(10_000 + 42_000, 10_000), 'in 42s');
  assert.equal(formatRelative(10_000 + 185_000, 10_000), 'in 3m 5s');
  assert.equal(formatRelative(10_000 + 2 * 3600_000 + 4 * 60_000, 10_000), 'in 2h 4m');
  assert.equal(formatRelative(10_000, 10_000 + 300_000), '5m 0s ago');
  assert.equal(formatRelative(10_000, 10_000), 'now');
});

test('a list row keeps why a PENDING run is queued, and drops it once the run moves on', async (t) => {
  const { toSummary, applySummaryEvent } = await loadTs(t, ['store/run-reducer.ts']);
  const queued = { key: 'tenant-a', limit: 1, policy: 'queue', reason: '1 run of key tenant-a already running (limit 1)', since: 5 };
  const item = { runId: 'r9', workflow: 'checked', version: 1, status: 'PENDING', createdAt: 1, updatedAt: 1, lastSeq: 1, queued };
  const row = toSummary(item);
  assert.deepEqual(row.queued, queued);
  assert.equal(toSummary({ ...item, status: 'RUNNING' }).queued, undefined, 'only a PENDING run is queued');
  const started = applySummaryEvent(row, { runId: 'r9', seq: 2, type: 'StepScheduled', at: 9, data: { stepId: 'prepare', attempt: 1 } });
  assert.equal(started.status, 'RUNNING');
  assert.equal(started.queued, undefined);
  assert.deepEqual(row.queued, queued, 'the earlier row is not mutated');

  // Live: a row made from the stream follows RunQueued and RunAdmitted.
  let live = applySummaryEvent(undefined, { runId: 'r10', seq: 1, type: 'RunStarted', at: 100, data: { workflow: 'checked', version: 1 } });
  const { since: _since, ...data } = queued;
  live = applySummaryEvent(live, { runId: 'r10', seq: 2, type: 'RunQueued', at: 101, data });
  assert.equal(live.status, 'PENDING');
  assert.deepEqual(live.queued, { ...data, since: 101 });
  live = applySummaryEvent(live, { runId: 'r10', seq: 3, type: 'RunAdmitted', at: 150, data: { key: 'tenant-a', waitedMs: 49 } });
  assert.equal(live.status, 'RUNNING');
  assert.equal(live.queued, undefined);
});
