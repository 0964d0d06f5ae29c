import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OrchError,
  decodeControl,
  decodeDispatch,
  decodeEvent,
  decodeEventOfTypes,
  decodeRegistered,
  decodeRunInput,
  decodeState,
  encodeMessage,
  workflow,
  type RunInput,
} from '../src/index.js';
import { RunHarness } from './run/harness.js';

const def = workflow('c').step('a', 't', { timeoutMs: 100 }).step('b', 't', { dependsOn: ['a'] }).build();

function expectError(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof OrchError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

/** What a record looks like after JSON: keys holding undefined are gone. */
const wire = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

void test('every record round-trips through encodeMessage and its decoder', () => {
  const h = new RunHarness(def);
  h.start({ k: [1, 'x'] });
  h.started('a');
  h.fireTimer('timeout:a:1');
  h.cancel('stop');
  for (const e of h.events) assert.deepEqual(decodeEvent(encodeMessage(e)), wire(e));
  for (const t of h.tasks) assert.deepEqual(decodeDispatch(encodeMessage(t)), wire(t));
  for (const c of h.control) assert.deepEqual(decodeControl(encodeMessage(c)), wire(c));
  const state = h.state ?? assert.fail();
  assert.deepEqual(decodeState(encodeMessage({ ...state, applied: { 'results/0': 3 }, epoch: 1, stateVersion: 5 })), wire({
    ...state, applied: { 'results/0': 3 }, epoch: 1, stateVersion: 5,
  }));
  const reg = { name: 'c', version: 2, definition: def, registeredAt: 123 };
  assert.deepEqual(decodeRegistered(encodeMessage(reg)), reg);
  const inputs: RunInput[] = [
    { v: 1, type: 'StartRun', runId: 'r', workflow: 'c', version: 1, definition: def, input: null, idempotencyKey: 'k', at: 1 },
    { v: 1, type: 'CancelRun', runId: 'r', at: 1 },
    { v: 1, type: 'RetryRun', runId: 'r', at: 1 },
    { v: 1, type: 'TimerFired', runId: 'r', timerId: 'retry:a:1', at: 1 },
    { v: 1, type: 'TimerFired', runId: 'r', timerId: 'heartbeat:a:1', armed: 3, at: 1 },
    { v: 1, type: 'TaskProgress', runId: 'r', stepId: 'a', attempt: 1, workerId: 'w', at: 1, fraction: 0.5 },
    { v: 1, type: 'TaskLog', runId: 'r', stepId: 'a', attempt: 1, workerId: 'w', at: 1, level: 'warn', message: 'm', fields: { a: 1 } },
    { v: 1, type: 'TaskFailed', runId: 'r', stepId: 'a', attempt: 1, workerId: 'w', at: 1, error: { type: 'E', message: 'm', nonRetryable: true, details: [1] } },
  ];
  for (const i of inputs) assert.deepEqual(decodeRunInput(encodeMessage(i)), i);
});

void test('events carry v:1 on the wire though their type has none', () => {
  const h = new RunHarness(def);
  h.start();
  const wire = JSON.parse(encodeMessage(h.events[0] ?? assert.fail()).toString()) as { v: number };
  assert.equal(wire.v, 1);
  assert.equal(Object.hasOwn(decodeEvent(encodeMessage(h.events[0] ?? assert.fail())), 'v'), false);
});

void test('bytes that are not a JSON object are ORCH_DECODE', () => {
  expectError(() => decodeRunInput(null), 'ORCH_DECODE', /empty/);
  expectError(() => decodeRunInput(Buffer.alloc(0)), 'ORCH_DECODE', /empty/);
  expectError(() => decodeRunInput(Buffer.from('{"v":1,')), 'ORCH_DECODE', /not valid JSON/);
  expectError(() => decodeEvent(Buffer.from('[1,2]')), 'ORCH_DECODE', /JSON object/);
});

void test('a schema mismatch is ORCH_DECODE naming the field path', () => {
  const bad = { v: 1, type: 'TaskFailed', runId: 'r', stepId: 'a', attempt: 1, workerId: 'w', at: 1, error: { type: 'E', message: 5 } };
  expectError(() => decodeRunInput(encodeMessage(bad)), 'ORCH_DECODE', /error\.message/);
  expectError(() => decodeRunInput(encodeMessage({ v: 1, type: 'Nope', runId: 'r' })), 'ORCH_DECODE', /type/);
  expectError(() => decodeDispatch(encodeMessage({ v: 1, type: 'TaskDispatched', runId: 'r' })), 'ORCH_DECODE', /stepId|attempt/);
  const noV = Buffer.from(JSON.stringify({ type: 'CancelRun', runId: 'r', at: 1 }));
  expectError(() => decodeRunInput(noV), 'ORCH_DECODE', /v: missing/);
  const badDef = { v: 1, type: 'StartRun', runId: 'r', workflow: 'c', version: 1, definition: { name: 'c', steps: [{ id: 'a' }] }, input: {}, at: 1 };
  expectError(() => decodeRunInput(encodeMessage(badDef)), 'ORCH_DECODE', /definition\.steps\[0\]\.task/);
});

void test('an event of the types asked for is decoded and checked whole; one of another type is passed over unchecked', () => {
  const ends = new Set(['RunSucceeded', 'RunCancelled']);
  const cancelled = { runId: 'r', seq: 4, type: 'RunCancelled', at: 9, data: { reason: 'stop' } };
  assert.deepEqual(decodeEventOfTypes(encodeMessage({ v: 1, ...cancelled }), ends), cancelled);
  assert.equal(decodeEventOfTypes(encodeMessage({ runId: 'r', seq: 1, type: 'StepScheduled', at: 1, data: 'not checked' }), ends), undefined);
  expectError(() => decodeEventOfTypes(encodeMessage({ runId: 'r', seq: 5, type: 'RunSucceeded', at: 'late', data: {} }), ends), 'ORCH_DECODE', /^run event: at/);
  expectError(() => decodeEventOfTypes(encodeMessage({ v: 2, ...cancelled }), ends), 'ORCH_SCHEMA_VERSION', /v=2/);
  expectError(() => decodeEventOfTypes(Buffer.from('{"type":'), ends), 'ORCH_DECODE', /not valid JSON/);
  expectError(() => decodeEventOfTypes(encodeMessage({ runId: 'r', seq: 2, at: 1, data: {} }), ends), 'ORCH_DECODE', /^run event: type/);
});

void test('a well-formed record of another version is ORCH_SCHEMA_VERSION', () => {
  expectError(() => decodeRunInput(encodeMessage({ v: 2, type: 'CancelRun', runId: 'r', at: 1 })), 'ORCH_SCHEMA_VERSION', /v=2/);
  expectError(() => decodeEvent(encodeMessage({ v: 3, runId: 'r', seq: 1, type: 'RunCancelled', at: 1, data: { reason: 'x' } })), 'ORCH_SCHEMA_VERSION', /v=3/);
  expectError(() => decodeState(encodeMessage({ v: '1' })), 'ORCH_SCHEMA_VERSION', /v="1"/);
});

void test('decoding is fast enough for the hot path', () => {
  const buf = encodeMessage({ v: 1, type: 'TaskCompleted', runId: 'r', stepId: 'a', attempt: 1, workerId: 'w', at: 1, output: { a: [1, 2, 3], b: 'x' } });
  const n = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) decodeRunInput(buf);
  const perOp = (performance.now() - t0) / n;
  // Generous: a regression to a slow path (e.g. re-building schemas per call) is 100x slower.
  assert.ok(perOp < 0.2, `${perOp.toFixed(4)} ms per decode`);
});

void test('the records of the v2 language round-trip: signals, child runs, items, sleeps and waits', () => {
  const v2 = workflow('v2')
    .step('fan', 't', { forEach: 'input.xs', maxParallel: 1, input: '${item}' })
    .sleep('nap', { dependsOn: ['fan'], durationMs: 5 })
    .wait('gate', 'go', { dependsOn: ['nap'], timeoutMs: 50 })
    .child('sub', 'other', { dependsOn: ['gate'], if: 'input.xs.size() > 0' })
    .build();
  const h = new RunHarness(v2);
  h.start({ xs: [1, 2] });
  h.signal('early', { a: 1 });
  h.complete('fan[0]');
  const mid = h.state ?? assert.fail();
  assert.deepEqual(decodeState(encodeMessage(mid)), wire(mid));
  h.complete('fan[1]');
  h.fireTimer('sleep:nap');
  h.signal('go', true);
  h.childEnded('sub', 'SUCCEEDED', 7);
  for (const e of h.events) assert.deepEqual(decodeEvent(encodeMessage(e)), wire(e));
  for (const c of h.commands) assert.deepEqual(decodeRunInput(encodeMessage(c)), wire(c));
  const state = h.state ?? assert.fail();
  assert.equal(state.status, 'SUCCEEDED');
  assert.deepEqual(decodeState(encodeMessage(state)), wire(state));
  const inputs: RunInput[] = [
    { v: 1, type: 'Signal', runId: 'r', name: 'go', payload: { ok: true }, at: 1 },
    { v: 1, type: 'ChildRunEnded', runId: 'r', childRunId: 'c', stepId: 's', status: 'FAILED', error: { type: 'E', message: 'm' }, at: 1 },
  ];
  for (const i of inputs) assert.deepEqual(decodeRunInput(encodeMessage(i)), i);
});

void test('a definition validated once is shared, frozen, by later decodes of the same text; the rest of the record is still checked', () => {
  const definition = workflow('shared-def').step('a', 't').step('b', 't', { dependsOn: ['a'] }).build();
  const start = (runId: string, extra: Record<string, unknown> = {}): Buffer =>
    encodeMessage({ v: 1, type: 'StartRun', runId, workflow: 'shared-def', version: 1, definition, at: 1, ...extra });
  const first = decodeRunInput(start('r1'));
  const second = decodeRunInput(start('r2'));
  assert.ok(first.type === 'StartRun' && second.type === 'StartRun');
  assert.deepEqual(first.definition, definition);
  assert.equal(second.definition, first.definition, 'one object for one text');
  assert.ok(Object.isFrozen(second.definition) && Object.isFrozen(second.definition.steps[1]!.dependsOn));
  assert.throws(() => (second.definition.steps as unknown[]).push({}), TypeError);
  // The other fields of a record whose definition is known are checked as before.
  expectError(() => decodeRunInput(start('r3', { version: 'one' })), 'ORCH_DECODE', /^run input: version: /);
  expectError(() => decodeRunInput(start('r3', { definition: 'not an object' })), 'ORCH_DECODE', /^run input: definition: /);
  // Another text is validated: the same name with a step that is not allowed is refused.
  expectError(() => decodeRunInput(start('r4', { definition: { ...definition, steps: [] } })), 'ORCH_DECODE', /^run input: definition\.steps: must hold at least 1 step/);
  // RunStarted shares the cache, under its data.
  const h = new RunHarness(definition);
  h.start();
  const started = h.events.find((e) => e.type === 'RunStarted')!;
  const decoded = decodeEvent(encodeMessage(started));
  assert.ok(decoded.type === 'RunStarted');
  assert.equal(decoded.data.definition, first.definition);
  expectError(() => decodeEvent(encodeMessage({ ...started, data: { ...started.data, version: 'x' } })), 'ORCH_DECODE', /^run event: data\.version: /);
});
