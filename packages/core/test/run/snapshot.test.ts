/**
 * The run's changelog on orch.state: control state in parts, bytes that follow what changed, and
 * restores that behave like the run held in memory (the harness checks that on every input).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEADER_VALUES_MAX_CHARS, referencedOutputs, snapshotWrites, type WorkflowDefinition } from '../../src/index.js';
import { RunHarness } from './harness.js';

/** A root, `width` parallel steps reading 1 KB each, and a join. */
function fanOut(width: number): WorkflowDefinition {
  const branches = Array.from({ length: width }, (_, i) => ({ id: `b${i}`, task: 'work', dependsOn: ['root'], input: { blob: '${input.blob}', i } }));
  return {
    name: `fan-${width}`,
    steps: [{ id: 'root', task: 'work' }, ...branches, { id: 'join', task: 'work', dependsOn: branches.map((b) => b.id) }],
  };
}

function runFanOut(width: number): RunHarness {
  const h = new RunHarness(fanOut(width));
  h.start({ blob: 'x'.repeat(1024) });
  h.started('root');
  h.complete('root', 1, { ok: true });
  for (let i = 0; i < width; i++) h.started(`b${i}`);
  for (let i = 0; i < width; i++) h.complete(`b${i}`, 1, { echoed: 'y'.repeat(1024) });
  h.started('join');
  h.complete('join', 1, { done: true });
  assert.equal(h.state?.status, 'SUCCEEDED');
  return h;
}

for (const width of [10, 100]) {
  void test(`a fan-out of ${width} with 1 KB inputs writes at most 1 KB per step to orch.state, one input at a time`, () => {
    const h = runFanOut(width);
    const steps = width + 2;
    const total = h.stateWrites.reduce((a, b) => a + b, 0);
    assert.ok(total / steps <= 1024, `bytes per step ${(total / steps).toFixed(0)}`);
    process.stdout.write(`# fan-out ${width}: ${(total / steps).toFixed(0)} bytes per step, largest write ${Math.max(...h.stateWrites)}\n`);
    assert.ok(Math.max(...h.stateWrites) <= 32 * 1024, `largest write ${Math.max(...h.stateWrites)}`);
    // No record holds a step's input: the 1 KB blob is only in the run's input record.
    for (const [key, record] of h.stateRecords) {
      if (key.endsWith('/input')) continue;
      assert.ok(!JSON.stringify(record).includes('x'.repeat(1024)), `${key} holds a step input`);
    }
  });
}

void test('an ended run is one header with every step, its step records tombstoned', () => {
  const h = runFanOut(10);
  const header = h.stateRecords.get(h.runId);
  assert.equal(header?.kind, 'run');
  if (header?.kind !== 'run') return;
  assert.equal(header.status, 'SUCCEEDED');
  assert.deepEqual(Object.keys(header.steps ?? {}).length, 12);
  assert.equal([...h.stateRecords.keys()].filter((k) => k.includes('/step/')).length, 0);
  // Only the join's output is kept (the run's default output); the branches' are read by nobody.
  // The transition that ended the run set it: the header holds it, in place of a record.
  assert.deepEqual([...h.stateRecords.keys()].filter((k) => k.includes('/output/')), []);
  assert.deepEqual(header.values, { outputs: { join: { done: true } } });
  assert.equal(h.restored()?.status, 'SUCCEEDED');
  assert.deepEqual(h.restored()?.steps.join?.output, { done: true });
});

/** a, then b reading a's output; the run's output is b's (its sink). */
const READS_A: WorkflowDefinition = {
  name: 'reads-a',
  steps: [
    { id: 'a', task: 't' },
    { id: 'b', task: 't', dependsOn: ['a'], input: { v: '${steps.a.output.v}' }, retry: { maxAttempts: 1 } },
  ],
};

void test('a run whose first snapshot is its last is one header, which holds its input and the outputs read later', () => {
  const h = new RunHarness(READS_A, { firstSnapshotAtEnd: true });
  h.start({ who: 'me' });
  h.complete('a', 1, { v: 42 });
  h.complete('b', 1, { done: 1 });
  assert.equal(h.state?.status, 'SUCCEEDED');
  assert.equal(h.stateWrites.length, 1);
  assert.deepEqual([...h.stateRecords.keys()], [h.runId]);
  const header = h.stateRecords.get(h.runId);
  assert.deepEqual(header?.kind === 'run' && header.values, { input: { who: 'me' }, outputs: { a: { v: 42 }, b: { done: 1 } } });
  const restored = h.restored();
  assert.deepEqual(restored?.input, { who: 'me' });
  assert.deepEqual(restored?.steps.a?.output, { v: 42 });
  assert.deepEqual(restored?.steps.b?.output, { done: 1 });
});

void test('values too large for the header are written as records of their own', () => {
  const h = new RunHarness(READS_A, { firstSnapshotAtEnd: true });
  const input = { blob: 'x'.repeat(HEADER_VALUES_MAX_CHARS) };
  h.start(input);
  h.complete('a', 1, { v: 42 });
  h.complete('b', 1, { done: 1 });
  assert.deepEqual([...h.stateRecords.keys()], [`${h.runId}/input`, h.runId]);
  const header = h.stateRecords.get(h.runId);
  assert.deepEqual(header?.kind === 'run' && header.values, { outputs: { a: { v: 42 }, b: { done: 1 } } });
  assert.deepEqual(h.restored()?.input, input);
});

void test('a transition from an ended run writes the input and outputs its header held as records again', () => {
  const h = new RunHarness(READS_A, { firstSnapshotAtEnd: true });
  h.start({ who: 'me' });
  h.complete('a', 1, { v: 42 });
  h.fail('b', 1);
  assert.equal(h.state?.status, 'FAILED');
  assert.deepEqual([...h.stateRecords.keys()], [h.runId]);
  // The harness checks that the restored run retries as the one in memory does: with a's output in b's input.
  h.retryRun();
  assert.deepEqual(h.tasks.at(-1)?.input, { v: 42 });
  const header = h.stateRecords.get(h.runId);
  assert.equal(header?.kind === 'run' && header.values, undefined);
  assert.deepEqual(h.stateRecords.get(`${h.runId}/input`), { kind: 'input', input: { who: 'me' } });
  assert.deepEqual(h.stateRecords.get(`${h.runId}/output/a`), { kind: 'output', output: { v: 42 } });
  assert.deepEqual(h.restored()?.input, { who: 'me' });
  h.complete('b', 2, { done: 2 });
  // Ended again: the header holds b's new output, which wins over any record of that key.
  assert.deepEqual(h.restored()?.steps.b?.output, { done: 2 });
  assert.deepEqual(h.restored()?.steps.a?.output, { v: 42 });
});

void test('a transition keeps the objects of the steps it did not change', () => {
  const h = new RunHarness(fanOut(3));
  h.start({ blob: 'b' });
  h.complete('root');
  const before = h.state!;
  h.started('b1');
  const after = h.state!;
  assert.notEqual(after.steps.b1, before.steps.b1);
  for (const id of ['root', 'b0', 'b2', 'join']) assert.equal(after.steps[id], before.steps[id], `${id} was copied`);
  assert.equal(after.definition, before.definition);
  assert.equal(after.input, before.input);
  const writes = snapshotWrites(before, after, 'd').writes.map((w) => w.key);
  // Only b1 changed, and no run-level field but the watermarks, which its record carries.
  assert.deepEqual(writes, [`${h.runId}/step/b1`]);
});

void test('outputs are kept for the steps that templates, expressions or the run output read', () => {
  const def: WorkflowDefinition = {
    name: 'refs',
    steps: [
      { id: 'a', task: 't' },
      { id: 'b', task: 't', dependsOn: ['a'], input: { v: '${steps.a.output.v}' } },
      { id: 'c', task: 't', dependsOn: ['a'] },
      { id: 'd', task: 't', dependsOn: ['b', 'c'] },
    ],
    output: { c: '${steps.c.output}' },
  };
  assert.deepEqual([...referencedOutputs(def)].sort(), ['a', 'c']);
  assert.deepEqual([...referencedOutputs({ ...def, output: undefined })].sort(), ['a', 'd']);
});

void test('a retried run is restored from its ended header and the step records written after it', () => {
  const h = new RunHarness({ name: 'retry', steps: [{ id: 'a', task: 't' }, { id: 'b', task: 't', dependsOn: ['a'], input: { v: '${steps.a.output.v}' }, retry: { maxAttempts: 1 } }] });
  h.start();
  h.complete('a', 1, { v: 42 });
  h.fail('b', 1);
  assert.equal(h.state?.status, 'FAILED');
  h.retryRun();
  assert.equal(h.restored()?.status, 'RUNNING');
  assert.deepEqual(h.tasks.at(-1)?.input, { v: 42 });
  h.complete('b', 2, { done: 1 });
  assert.equal(h.restored()?.status, 'SUCCEEDED');
});

void test('a new run writes records only for the steps that have begun; a restore rebuilds the others as PENDING', () => {
  const h = new RunHarness(fanOut(3));
  h.start({ blob: 'b' });
  const keys = [...h.stateRecords.keys()].filter((k) => k.includes('/step/'));
  assert.deepEqual(keys, [`${h.runId}/step/root`]);
  const restored = h.restored();
  for (const id of ['b0', 'b1', 'b2', 'join']) assert.deepEqual(restored?.steps[id], h.state?.steps[id], id);
  h.complete('root');
  assert.deepEqual(h.restored()?.steps.b1?.status, 'SCHEDULED');
});

void test('a step that ends and the step it schedules are one record, keyed by the first', () => {
  const h = new RunHarness({ name: 'chain', steps: [{ id: 'a', task: 't' }, { id: 'b', task: 't', dependsOn: ['a'] }, { id: 'c', task: 't', dependsOn: ['b'] }] });
  h.start();
  const before = h.stateWrites.length;
  h.complete('a');
  assert.equal(h.stateWrites.length, before + 1);
  const stepKeys = [...h.stateRecords.keys()].filter((k) => k.includes('/step/'));
  assert.deepEqual(stepKeys, [`${h.runId}/step/a`]);
  const record = h.stateRecords.get(`${h.runId}/step/a`);
  assert.equal(record?.kind === 'step' && record.status, 'SUCCEEDED');
  assert.equal(record?.kind === 'step' && record.with?.b?.status, 'SCHEDULED');
  assert.deepEqual(h.state?.stateLayout, { homes: { b: 'a' }, keys: ['a'] });
  assert.deepEqual(h.restored()?.stateLayout, { homes: { b: 'a' }, keys: ['a'] });
  assert.equal(h.restored()?.steps.b?.status, 'SCHEDULED');
  // b's own record now holds it, newer than the copy a's record keeps.
  h.complete('b');
  assert.deepEqual(h.state?.stateLayout, { homes: { c: 'b' }, keys: ['a', 'b'] });
  assert.equal(h.restored()?.steps.b?.status, 'SUCCEEDED');
});

void test('a record its host writes again keeps the steps whose latest state it held', () => {
  const h = new RunHarness({
    name: 'roots',
    steps: [
      { id: 'a', task: 't', retry: { maxAttempts: 3, initialIntervalMs: 10, jitter: 'none' } },
      { id: 'b', task: 't' },
      { id: 'join', task: 't', dependsOn: ['a', 'b'] },
    ],
  });
  h.start();
  assert.deepEqual(h.state?.stateLayout?.homes, { b: 'a' });
  // a alone changes: its record is replaced, and b, still SCHEDULED, must move along.
  h.fail('a', 1);
  const record = h.stateRecords.get(`${h.runId}/step/a`);
  assert.equal(record?.kind === 'step' && record.status, 'RETRY_WAIT');
  assert.equal(record?.kind === 'step' && record.with?.b?.status, 'SCHEDULED');
  assert.equal(h.restored()?.steps.b?.status, 'SCHEDULED');
  // The harness checks on every input that the restored run behaves as the one in memory.
  h.complete('b');
  h.fireTimer('retry:a:1');
  h.complete('a', 2);
  h.complete('join');
  assert.equal(h.state?.status, 'SUCCEEDED');
  h.checkInvariants();
});
