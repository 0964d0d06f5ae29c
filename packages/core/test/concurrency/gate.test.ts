import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gateIdOf, reduceGate, type AcquireSlot, type Command, type ConcurrencyPolicy, type GateCommand, type GateState, type ReleaseSlot } from '../../src/index.js';

const gate = gateIdOf('billing', 'acme');
const acquire = (holder: string, limit = 1, policy: ConcurrencyPolicy = 'queue'): AcquireSlot => ({
  v: 1,
  type: 'AcquireSlot',
  runId: gate,
  holder,
  workflow: 'billing',
  key: 'acme',
  limit,
  policy,
  at: 0,
});
const releaseOf = (holder: string): ReleaseSlot => ({ v: 1, type: 'ReleaseSlot', runId: gate, holder, at: 0 });

/** Applies inputs in order; returns the final state and every command, as `type:runId`. */
function run(inputs: GateCommand[]): { state: GateState | undefined; out: string[]; commands: Command[] } {
  let state: GateState | undefined;
  const commands: Command[] = [];
  inputs.forEach((input, i) => {
    const r = reduceGate(state, input, 1000 + i);
    state = r.state;
    commands.push(...r.commands);
  });
  return { state, commands, out: commands.map((c) => `${c.type}:${c.runId}`) };
}

void test('queue: the first `limit` runs get a slot, the rest wait in order and get one as slots free up', () => {
  const { state, out, commands } = run([acquire('a', 2), acquire('b', 2), acquire('c', 2), acquire('d', 2), releaseOf('a'), releaseOf('c')]);
  assert.deepEqual(out, ['SlotGranted:a', 'SlotGranted:b', 'SlotQueued:c', 'SlotQueued:d', 'SlotGranted:c', 'SlotGranted:d']);
  assert.deepEqual(state?.active.map((h) => h.runId), ['b', 'd']);
  const queued = commands.filter((c) => c.type === 'SlotQueued').map((c) => (c.type === 'SlotQueued' ? c.reason : ''));
  assert.deepEqual(queued, ['2 of 2 slots for concurrency key "acme" taken; next in line', '2 of 2 slots for concurrency key "acme" taken; 1 run ahead']);
});

void test('inputs are idempotent: a repeated acquire grants again without taking a second slot; an unknown release changes nothing', () => {
  const { state, out } = run([acquire('a'), acquire('a'), acquire('b'), acquire('b'), releaseOf('zzz')]);
  assert.deepEqual(out, ['SlotGranted:a', 'SlotGranted:a', 'SlotQueued:b']);
  assert.deepEqual(state?.active.map((h) => h.runId), ['a']);
  assert.deepEqual(state?.waiting.map((h) => h.runId), ['b']);
  assert.equal(reduceGate(undefined, releaseOf('a'), 0).changed, false);
});

void test('a gate that holds nobody is gone', () => {
  assert.equal(run([acquire('a'), releaseOf('a')]).state, undefined);
  assert.equal(run([acquire('a'), acquire('b'), releaseOf('b'), releaseOf('a')]).state, undefined);
});

void test('cancelNewest: a run over the limit is cancelled with the reason, and takes no slot', () => {
  const { state, commands } = run([acquire('a', 1, 'cancelNewest'), acquire('b', 1, 'cancelNewest')]);
  assert.deepEqual(commands.map((c) => `${c.type}:${c.runId}`), ['SlotGranted:a', 'CancelRun:b']);
  assert.equal(commands[1]?.type === 'CancelRun' && commands[1].reason, 'concurrency limit 1 reached for key "acme" (policy cancelNewest)');
  assert.deepEqual(state?.active.map((h) => h.runId), ['a']);
  assert.deepEqual(state?.waiting, []);
});

void test('cancelOldest: the oldest run is cancelled and keeps its slot until it ends; then the new run gets it', () => {
  const { state, out } = run([acquire('a', 1, 'cancelOldest'), acquire('b', 1, 'cancelOldest')]);
  assert.deepEqual(out, ['SlotGranted:a', 'CancelRun:a', 'SlotQueued:b']);
  assert.equal(state?.active[0]?.cancelling, true);
  // A third run while a is still being cancelled: b is now the oldest in line, and a already goes.
  const after = run([acquire('a', 1, 'cancelOldest'), acquire('b', 1, 'cancelOldest'), acquire('c', 1, 'cancelOldest'), releaseOf('a')]);
  assert.deepEqual(after.out, ['SlotGranted:a', 'CancelRun:a', 'SlotQueued:b', 'SlotQueued:c', 'SlotGranted:b', 'CancelRun:b']);
  assert.deepEqual(after.state?.active.map((h) => [h.runId, h.cancelling ?? false]), [['b', true]]);
});

void test('property: whatever the order, replays and policy, no more than `limit` runs hold a slot and each is granted once per acquire it waits on', () => {
  const holders = ['a', 'b', 'c', 'd', 'e'];
  const inputArb = fc.oneof(
    fc.record({ kind: fc.constant('acquire' as const), holder: fc.constantFrom(...holders) }),
    fc.record({ kind: fc.constant('release' as const), holder: fc.constantFrom(...holders) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3 }), fc.constantFrom<ConcurrencyPolicy>('queue', 'cancelNewest', 'cancelOldest'), fc.array(inputArb, { maxLength: 40 }), (limit, policy, steps) => {
      let state: GateState | undefined;
      /** Runs as the runs see it: granted (running) until they release. */
      const running = new Set<string>();
      const ended = new Set<string>();
      steps.forEach((s, i) => {
        // A run that released has ended: it never asks again (its replays are what the orchestrator skips).
        if (ended.has(s.holder)) return;
        const input = s.kind === 'acquire' ? acquire(s.holder, limit, policy) : releaseOf(s.holder);
        const r = reduceGate(state, input, i);
        state = r.state;
        if (s.kind === 'release') {
          running.delete(s.holder);
          ended.add(s.holder);
        }
        for (const c of r.commands) {
          if (c.type === 'SlotGranted') running.add(c.runId);
          if (c.type === 'CancelRun' && !running.has(c.runId)) ended.add(c.runId);
        }
        const active = state?.active ?? [];
        assert.ok(active.length <= limit, `at most ${limit} hold a slot`);
        assert.equal(new Set(active.map((h) => h.runId)).size, active.length, 'a run holds one slot at most');
        for (const h of state?.waiting ?? []) assert.ok(!active.some((x) => x.runId === h.runId), 'a run waits or holds, not both');
        for (const id of running) assert.ok(active.some((h) => h.runId === id), `a run told to run (${id}) holds its slot`);
      });
    }),
    { numRuns: 300 },
  );
});
