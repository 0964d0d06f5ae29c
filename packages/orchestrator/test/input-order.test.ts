import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSnapshot, encodeMessage } from '@orchestrator-lite/core';
import type { OrderRecord } from '@orchestrator-lite/core';
import type { ConsumedRecord } from '@orchestrator-lite/transport';
import { AppliedOrder, extendLast, orderRecordOf, ReplayOrder, stretchesOf } from '../src/input-order.js';

const C = 'commands/0';
const R = 'results/0';

/** Inputs of one source at the given offsets (the order never looks past topic and offset). */
const inputs = (source: string, ...offsets: number[]): ConsumedRecord[] =>
  offsets.map((offset) => ({ topic: source.split('/')[0]!, partition: 0, offset, key: 'k', value: null, headers: {}, timestamp: 0 }));

/** Applies `records` of `source` through `order` as the orchestrator does, logging each chunk. */
async function applyAll(order: ReplayOrder, source: string, records: ConsumedRecord[], log: string[]): Promise<void> {
  for (let rest = records; rest.length > 0; ) {
    const n = await order.admit(source, rest);
    const chunk = rest.slice(0, n);
    log.push(`${source}:${chunk.map((r) => r.offset).join(',')}`);
    order.applied(source, chunk.at(-1)!.offset);
    rest = rest.slice(n);
  }
}

void test('the applied order merges consecutive batches of one source, and a landed snapshot drops the stretches it covers', () => {
  const order = new AppliedOrder();
  order.applied(C, 1);
  order.applied(R, 3);
  order.applied(R, 5);
  order.applied(C, 2);
  order.applied(R, 8);
  assert.deepEqual(order.stretches, [
    { source: C, upTo: 1 },
    { source: R, upTo: 5 },
    { source: C, upTo: 2 },
    { source: R, upTo: 8 },
  ]);
  // The snapshot covers the inputs below commands 2 and results 6: the first two stretches.
  order.landed(new Map([[C, 2], [R, 6]]));
  assert.deepEqual(order.stretches, [
    { source: C, upTo: 2 },
    { source: R, upTo: 8 },
  ]);
  // A stretch it covers in part stays whole: its inputs are skipped by their runs on a replay.
  order.landed(new Map([[C, 3], [R, 7]]));
  assert.deepEqual(order.stretches, [{ source: R, upTo: 8 }]);
});

void test('the order record holds the alternating stretches as the first source and the gaps between their last offsets', () => {
  const stretches = [
    { source: R, upTo: 1_000_007 },
    { source: C, upTo: 2 },
    { source: R, upTo: 1_000_009 },
    { source: C, upTo: 30 },
    { source: R, upTo: 1_000_010 },
  ];
  const record = orderRecordOf(stretches);
  assert.deepEqual(record, { kind: 'order', first: R, gaps: [1_000_008, 3, 2, 28, 1] });
  assert.deepEqual(stretchesOf(record!), stretches);
  assert.equal(orderRecordOf([]), undefined);
});

void test('an order record of an earlier release, with the last offsets written out, reads the same', () => {
  const earlier = decodeSnapshot(Buffer.from(JSON.stringify({ v: 1, kind: 'order', first: C, upTo: [4, 9, 5] })));
  assert.deepEqual(stretchesOf(earlier as OrderRecord), [
    { source: C, upTo: 4 },
    { source: R, upTo: 9 },
    { source: C, upTo: 5 },
  ]);
});

void test('an order record as written round-trips through the codec, and one with neither form is refused by name', () => {
  const stretches = Array.from({ length: 50 }, (_, i) => ({ source: i % 2 === 0 ? R : C, upTo: 5_000_000 + 3 * i }));
  const written = encodeMessage(orderRecordOf(stretches)!);
  assert.deepEqual(stretchesOf(decodeSnapshot(written) as OrderRecord), stretches);
  assert.ok(written.length < JSON.stringify({ kind: 'order', first: R, upTo: stretches.map((s) => s.upTo) }).length / 2, 'the gaps take under half the bytes');
  assert.throws(() => decodeSnapshot(Buffer.from(JSON.stringify({ v: 1, kind: 'order', first: C }))), /gaps: an order record holds either gaps or upTo/);
});

void test('a replay applies each source in the order recorded, whichever source arrives first', async () => {
  const order = new ReplayOrder(
    [
      { source: C, upTo: 1 },
      { source: R, upTo: 5 },
      { source: C, upTo: 2 },
    ],
    new Map([[C, 1], [R, 3]]),
  );
  const log: string[] = [];
  // The results arrive first, and with an input the last owner never applied (6).
  const results = applyAll(order, R, inputs(R, 3, 4, 5, 6), log);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(log, [], 'the results wait for command 1');
  await applyAll(order, C, inputs(C, 1, 2, 3), log);
  await results;
  assert.deepEqual(log.slice(0, 3), [`${C}:1`, `${R}:3,4,5`, `${C}:2`]);
  assert.deepEqual(new Set(log.slice(3)), new Set([`${C}:3`, `${R}:6`]), 'past the stretches every input goes as it comes');
  assert.equal(order.ordering, false);
});

void test('a replay skips the stretches below where delivery starts, and inputs below it go at once', async () => {
  // A later snapshot landed after the order was written: delivery starts past the first stretch.
  const order = new ReplayOrder(
    [
      { source: R, upTo: 4 },
      { source: C, upTo: 7 },
      { source: R, upTo: 9 },
    ],
    new Map([[C, 6], [R, 5]]),
  );
  assert.equal(order.ordering, true);
  const log: string[] = [];
  await applyAll(order, C, inputs(C, 6, 7), log);
  await applyAll(order, R, inputs(R, 5, 9), log);
  assert.deepEqual(log, [`${C}:6,7`, `${R}:5,9`]);
  assert.equal(order.ordering, false);
});

void test('a replay waits for its turn at most the timeout, then applies the rest as it comes and says why', async () => {
  const reasons: string[] = [];
  const order = new ReplayOrder([{ source: C, upTo: 3 }], new Map([[C, 0], [R, 0]]), (reason) => reasons.push(reason), 50);
  const started = Date.now();
  assert.equal(await order.admit(R, inputs(R, 0, 1)), 2);
  assert.ok(Date.now() - started >= 45);
  assert.equal(reasons.length, 1);
  assert.match(reasons[0]!, /commands\/0 up to offset 3/);
  assert.equal(order.ordering, false);
});

void test('a stopped replay lets a waiting source go at once', async () => {
  const order = new ReplayOrder([{ source: C, upTo: 3 }], new Map([[C, 0], [R, 0]]));
  const admitted = order.admit(R, inputs(R, 0));
  order.stop();
  assert.equal(await admitted, 1);
});

void test('a replay that gives up leaves the record with the stretches it followed, then what it applied as it came', async () => {
  const seeded = [
    { source: R, upTo: 2 },
    { source: C, upTo: 5 },
    { source: R, upTo: 9 },
  ];
  const record = new AppliedOrder();
  record.seed(seeded);
  const order = new ReplayOrder(seeded, new Map([[C, 0], [R, 0]]), (_reason, next) => record.followedUpTo(next), 50);
  const log: string[] = [];
  // Results 0 and 1 come, result 2 never does: the commands wait for it, then give up.
  await applyAll(order, R, inputs(R, 0, 1), log);
  await applyAll(order, C, inputs(C, 0, 1, 2), log);
  assert.deepEqual(log, [`${R}:0,1`, `${C}:0,1,2`]);
  assert.equal(order.ordering, false);
  // What it followed: results up to 1. Then the commands went as they came.
  record.applied(C, 2);
  assert.deepEqual(record.stretches, [
    { source: R, upTo: 1 },
    { source: C, upTo: 2 },
  ]);
});

void test('a cut keeps the stretches a replay applied whole, the part of the one it was in, and drops the rest', () => {
  const record = new AppliedOrder();
  const seeded = [
    { source: C, upTo: 3 },
    { source: R, upTo: 4 },
    { source: C, upTo: 8 },
    { source: R, upTo: 6 },
  ];
  record.seed(seeded);
  record.followedUpTo(new Map([[C, 6], [R, 5]]));
  assert.deepEqual(record.stretches, [
    { source: C, upTo: 3 },
    { source: R, upTo: 4 },
    { source: C, upTo: 5 },
  ]);
  // Stopped between two stretches: nothing of the next one.
  record.seed(seeded);
  record.followedUpTo(new Map([[C, 4], [R, 5]]));
  assert.deepEqual(record.stretches, seeded.slice(0, 2));
});

void test('the record is written when a stretch begins, is seeded or cut, not when a batch carries the last stretch further', () => {
  const order = new AppliedOrder();
  assert.equal(order.toWrite(), undefined, 'nothing applied, nothing to write');
  order.applied(C, 1);
  const first = order.toWrite();
  assert.deepEqual(first?.record, { kind: 'order', first: C, gaps: [2] });
  order.written(first!.version);
  order.applied(C, 4);
  assert.equal(order.toWrite(), undefined, 'the last stretch went further: the record on the log still holds the order');
  order.applied(R, 2);
  const second = order.toWrite();
  assert.deepEqual(second?.record, { kind: 'order', first: C, gaps: [5, 3] });
  // A change after the write began is not marked written by it.
  order.applied(C, 6);
  order.written(second!.version);
  assert.deepEqual(order.toWrite()?.record, { kind: 'order', first: C, gaps: [5, 3, 2] });
  // A cut to nothing still has to replace the record on the log (with a tombstone).
  order.followedUpTo(new Map([[C, 0], [R, 0]]));
  const cut = order.toWrite();
  assert.ok(cut !== undefined);
  assert.equal(cut.record, undefined);
});

void test('a replay carries the last stretch on to the end of its source, which the record did not follow as it grew', async () => {
  assert.deepEqual(extendLast([{ source: C, upTo: 1 }, { source: R, upTo: 5 }], 9), [{ source: C, upTo: 1 }, { source: R, upTo: 8 }]);
  assert.deepEqual(extendLast([{ source: R, upTo: 5 }], 6), [{ source: R, upTo: 5 }], 'already at the end');
  assert.deepEqual(extendLast([], 9), []);
  const full = Array.from({ length: 1000 }, (_, i) => ({ source: i % 2 === 0 ? C : R, upTo: i }));
  assert.deepEqual(extendLast(full, 5000), full, 'a record at the limit is not carried on');
  // The last owner applied results up to 8 after its record said 5, and no command after 1: results 6 to 8 go before command 2.
  const order = new ReplayOrder(extendLast([{ source: C, upTo: 1 }, { source: R, upTo: 5 }], 9), new Map([[C, 0], [R, 0]]));
  const log: string[] = [];
  const commands = applyAll(order, C, inputs(C, 0, 1, 2), log);
  await applyAll(order, R, inputs(R, 0, 1, 2, 3, 4, 5), log);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(log, [`${C}:0,1`, `${R}:0,1,2,3,4,5`], 'command 2 waits for results 6 to 8');
  await applyAll(order, R, inputs(R, 6, 7, 8), log);
  await commands;
  assert.deepEqual(log, [`${C}:0,1`, `${R}:0,1,2,3,4,5`, `${R}:6,7,8`, `${C}:2`]);
});
