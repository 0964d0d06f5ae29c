import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunState } from '@orchestrator-lite/core';
import { SnapshotQueue } from '../src/snapshot-queue.js';
import type { SnapshotBatch } from '../src/snapshot-queue.js';

/** Runs in the states given, a state here being only its stateVersion (the queue never looks inside). */
const runs = (...entries: [string, number][]) => new Map(entries.map(([id, v]) => [id, { runId: id, stateVersion: v } as RunState]));
const none = new Map<string, undefined>();
const gate = (id: string) => new Map([[id, undefined]]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const offset = (partition: number, at: number) => ({ topic: 'orch.results', partition, offset: at });

/** A write that records each batch (copied: the queue hands over its sets) and lands after `ms`. */
function recorder(ms = 0, landed = () => true) {
  const writes: { at: number; runs: string[]; gates: string[]; offsets: SnapshotBatch['offsets'] }[] = [];
  let inFlight = 0;
  let overlapped = false;
  const write = async (batch: SnapshotBatch) => {
    writes.push({ at: Date.now(), runs: [...batch.runs].map(([id, state]) => `${id}@${state.stateVersion}`), gates: [...batch.gates.keys()], offsets: batch.offsets });
    if (++inFlight > 1) overlapped = true;
    await sleep(ms);
    inFlight--;
    return landed();
  };
  return { writes, write, overlapped: () => overlapped };
}

void test('what batches change between two writes goes out in one, each run once in its latest state, with the highest offsets', async () => {
  const r = recorder(20);
  const queue = new SnapshotQueue(r.write, 100);
  queue.add(runs(['a', 1]), none, [offset(0, 1)]);
  await sleep(5);
  // The first write is in flight: these wait for it, and for the interval.
  queue.add(runs(['a', 2], ['b', 1]), gate('gate-1'), [offset(0, 4), offset(1, 2)]);
  queue.add(runs(['a', 3]), none, [offset(0, 3)]);
  await sleep(60);
  assert.equal(r.writes.length, 1);
  await queue.flush();
  assert.equal(r.writes.length, 2);
  assert.deepEqual(r.writes[1], { at: r.writes[1]!.at, runs: ['a@3', 'b@1'], gates: ['gate-1'], offsets: [offset(0, 4), offset(1, 2)] });
  assert.equal(r.overlapped(), false, 'one write at a time');
});

void test('writes start at least the interval apart; flush does not wait it out', async () => {
  const r = recorder();
  const queue = new SnapshotQueue(r.write, 80);
  queue.add(runs(['a', 1]), none, []);
  await sleep(5);
  queue.add(runs(['b', 1]), none, []);
  await sleep(150);
  assert.equal(r.writes.length, 2);
  assert.ok(r.writes[1]!.at - r.writes[0]!.at >= 75, `${r.writes[1]!.at - r.writes[0]!.at} ms apart`);
  queue.add(runs(['c', 1]), none, []);
  const started = Date.now();
  await queue.flush();
  assert.ok(Date.now() - started < 50);
  assert.deepEqual(r.writes.map((w) => w.runs), [['a@1'], ['b@1'], ['c@1']]);
});

void test('a write that finds the partition lost drops what was queued behind it', async () => {
  const writes: string[][] = [];
  let release: (landed: boolean) => void = () => undefined;
  const queue = new SnapshotQueue((batch) => {
    writes.push([...batch.runs.keys()]);
    return new Promise<boolean>((resolve) => (release = resolve));
  }, 0);
  queue.add(runs(['a', 1]), none, []);
  // 'b' is queued while 'a' is in flight; then 'a' finds the partition gone.
  queue.add(runs(['b', 1]), none, []);
  const flushed = queue.flush();
  release(false);
  await flushed;
  assert.deepEqual(writes, [['a']]);
  // Later changes are written again.
  queue.add(runs(['c', 1]), none, []);
  await new Promise((resolve) => setImmediate(resolve));
  release(true);
  await queue.flush();
  assert.deepEqual(writes, [['a'], ['c']]);
});
