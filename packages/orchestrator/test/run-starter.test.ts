import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { ErrorCode, OrchError, encodeMessage, isClaimCheck, runIdForIdempotencyKey, topicNames } from '@orchestrator-lite/core';
import type { RegisteredWorkflow, WorkflowDefinition } from '@orchestrator-lite/core';
import type { Transport } from '@orchestrator-lite/transport';
import { RunStarter, startOrchestrator } from '../src/index.js';
import type { RunStarterOptions } from '../src/index.js';
import { embeddedBus, observe, until } from './harness.js';

const names = topicNames('s.');

const greet = (task: string): WorkflowDefinition => ({ name: 'greet', steps: [{ id: 'hello', task, input: { who: '${input.who}' } }] });

/** A version claimed on the definitions topic, as a gateway's registration writes it. */
async function register(transport: Transport, version: number, definition: WorkflowDefinition, claim: string): Promise<void> {
  const registered: RegisteredWorkflow = { name: definition.name, version, definition, registeredAt: Date.now(), claim };
  await transport.produce([{ topic: names.definitions, key: `${definition.name}@${version}#${claim}`, value: encodeMessage(registered) }]);
}

async function engine(t: TestContext, options: Partial<RunStarterOptions> = {}) {
  const transport = embeddedBus(t);
  const orchestrator = await startOrchestrator({ transport, topicPrefix: 's.', partitions: 2 });
  t.after(() => orchestrator.close());
  const seen = await observe(t, transport, names, 2);
  await register(transport, 1, greet('say'), 'c1');
  return { transport, ...seen, starter: new RunStarter({ transport, topicPrefix: 's.', ...options }) };
}

/** Resolves with the error `promise` rejects with; fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<OrchError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof OrchError, `expected an OrchError, got ${String(error)}`);
  return error;
}

test('starts runs of a registered workflow through the bus, and the orchestrator runs them as it runs a gateway’s', async (t) => {
  const { starter, events, tasks } = await engine(t);
  const started = await starter.start([{ workflow: 'greet', input: { who: 'ada' }, idempotencyKey: 'k-1' }, { workflow: 'greet', version: 1, input: { who: 'bob' } }]);
  assert.equal(started.length, 2);
  // An idempotency key names the run the gateway would have started for it.
  assert.equal(started[0]!.runId, runIdForIdempotencyKey('greet', 'k-1'));
  assert.notEqual(started[1]!.runId, started[0]!.runId);
  assert.deepEqual(started.map((s) => [s.workflow, s.version]), [['greet', 1], ['greet', 1]]);
  await until(() => tasks.length === 2, 'both runs’ first tasks');
  const byRun = new Map(tasks.map((task) => [task.runId, task]));
  assert.deepEqual(byRun.get(started[0]!.runId)?.input, { who: 'ada' });
  assert.deepEqual(byRun.get(started[1]!.runId)?.input, { who: 'bob' });
  const runStarted = events.filter((e) => e.type === 'RunStarted');
  assert.deepEqual(new Set(runStarted.map((e) => e.runId)), new Set(started.map((s) => s.runId)));
});

test('the same idempotency key names the same run, which starts once', async (t) => {
  const { starter, events, tasks } = await engine(t);
  const [first] = await starter.start([{ workflow: 'greet', input: { who: 'ada' }, idempotencyKey: 'once' }]);
  await until(() => tasks.length === 1, 'the first task');
  const [second] = await starter.start([{ workflow: 'greet', input: { who: 'ada' }, idempotencyKey: 'once' }]);
  assert.equal(second!.runId, first!.runId);
  // A later run of another key, started after the duplicate, shows the duplicate was applied (and ignored).
  const [later] = await starter.start([{ workflow: 'greet', input: { who: 'cy' }, idempotencyKey: 'later' }]);
  await until(() => tasks.some((task) => task.runId === later!.runId), 'the later run’s task');
  assert.equal(tasks.filter((task) => task.runId === first!.runId).length, 1);
  assert.equal(events.filter((e) => e.type === 'RunStarted' && e.runId === first!.runId).length, 1);
});

test('a run that fails a check is named by its field, and no run of the call is written', async (t) => {
  const { starter, events } = await engine(t, { maxInputBytes: 100 });
  const valid = { workflow: 'greet', input: { who: 'ada' }, idempotencyKey: 'valid' };
  const cases: [unknown[], string, string][] = [
    [[valid, { workflow: 'nope' }], ErrorCode.NotFound, 'runs[1].workflow'],
    [[valid, { workflow: 'greet', version: 9 }], ErrorCode.NotFound, 'runs[1].version'],
    [[valid, { workflow: '' }], ErrorCode.Validation, 'runs[1].workflow'],
    [[valid, { workflow: 'greet', priority: 7 }], ErrorCode.Validation, 'runs[1].priority'],
    [[valid, { workflow: 'greet', extra: true }], ErrorCode.Validation, 'runs[1]'],
    [[valid, { workflow: 'greet', input: { who: 'x'.repeat(200) } }], ErrorCode.PayloadTooLarge, 'runs[1].input'],
    [[], ErrorCode.Validation, 'runs'],
  ];
  for (const [runs, code, field] of cases) {
    const error = await rejection(starter.start(runs as never));
    assert.equal(error.code, code, `${field}: ${error.message}`);
    assert.ok(error.message.startsWith(field), `the message names ${field}: ${error.message}`);
  }
  // A start after them all, of its own key: once it is seen, anything written before it was too.
  const [marker] = await starter.start([{ workflow: 'greet', idempotencyKey: 'marker' }]);
  await until(() => events.some((e) => e.runId === marker!.runId), 'the marker run');
  assert.equal(events.filter((e) => e.runId === runIdForIdempotencyKey('greet', 'valid')).length, 0);
});

test('the first claim of a version wins, as in the gateway’s registry', async (t) => {
  const { transport, starter, tasks } = await engine(t);
  await register(transport, 2, greet('first'), 'a');
  await register(transport, 2, greet('second'), 'b');
  const [run] = await starter.start([{ workflow: 'greet', version: 2, input: { who: 'ada' } }]);
  await until(() => tasks.some((task) => task.runId === run!.runId), 'the task');
  assert.equal(tasks.find((task) => task.runId === run!.runId)?.task, 'first');
});

test('an input over the inline limit travels as a claim-check', async (t) => {
  const { starter, events } = await engine(t, { inlineInputBytes: 64 });
  const who = 'y'.repeat(500);
  const [run] = await starter.start([{ workflow: 'greet', input: { who } }]);
  await until(() => events.some((e) => e.type === 'RunStarted' && e.runId === run!.runId), 'the run');
  const runStarted = events.find((e) => e.type === 'RunStarted' && e.runId === run!.runId)!;
  assert.ok(runStarted.type === 'RunStarted' && isClaimCheck(runStarted.data.input), 'RunStarted carries the claim-check');
});

test('a version not read yet is found at once; a newer latest one within a second of the last read', async (t) => {
  let now = 1_000_000;
  const { transport, starter, tasks } = await engine(t, { now: () => now });
  const [first] = await starter.start([{ workflow: 'greet', input: { who: 'a' } }]);
  await register(transport, 2, greet('v2'), 'c2');
  // Named, the new version is read at once.
  const [named] = await starter.start([{ workflow: 'greet', version: 2, input: { who: 'b' } }]);
  assert.deepEqual([first!.version, named!.version], [1, 2]);
  await register(transport, 3, greet('v3'), 'c3');
  now += 500;
  const [stale] = await starter.start([{ workflow: 'greet', input: { who: 'c' } }]);
  now += 1000;
  const [fresh] = await starter.start([{ workflow: 'greet', input: { who: 'd' } }]);
  assert.deepEqual([stale!.version, fresh!.version], [2, 3]);
  await until(() => tasks.some((task) => task.runId === fresh!.runId), 'the latest version’s task');
  assert.equal(tasks.find((task) => task.runId === fresh!.runId)?.task, 'v3');
});
