import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReadModel } from '../src/read-model.js';
import type { StoredEvent } from '../src/read-model.js';
import { decodeStreamCursor, encodeStreamCursor } from '../src/stream-cursor.js';
import { DEFINITION, runFailed, runStarted, stepLog } from './helpers.js';

void test('folds events into a RunView and keeps them in seq order with their offsets', () => {
  const model = new ReadModel();
  model.setPartitionCount(2);
  assert.equal(model.ingest(runStarted('r1'), 1, 0), true);
  assert.equal(model.ingest(stepLog('r1', 2), 1, 1), true);
  assert.equal(model.ingest(runFailed('r1', 3), 1, 2), true);
  const view = model.getRun('r1');
  assert.equal(view?.status, 'FAILED');
  assert.equal(view?.lastSeq, 3);
  assert.deepEqual(
    model.eventsSince('r1', 1).map((e) => e.seq),
    [2, 3],
  );
  assert.deepEqual(model.currentPositions(), [0, 3]);
});

void test('a replayed event (seq already seen) is dropped', () => {
  const model = new ReadModel();
  model.ingest(runStarted('r1'), 0, 0);
  model.ingest(stepLog('r1', 2), 0, 1);
  assert.equal(model.ingest(stepLog('r1', 2, 'again'), 0, 2), false);
  assert.equal(model.ingest(runStarted('r1'), 0, 3), false);
  assert.deepEqual(
    model.eventsSince('r1', 0).map((e) => e.seq),
    [1, 2],
  );
  assert.equal(model.stats().duplicates, 2);
});

void test('RunStarted replaces the PENDING placeholder inserted on submit', () => {
  const model = new ReadModel();
  const placeholder = {
    runId: 'r1',
    workflow: 'orders',
    version: 1,
    status: 'PENDING' as const,
    input: {},
    createdAt: 5,
    updatedAt: 5,
    lastSeq: 0,
    definition: DEFINITION,
    steps: {},
  };
  assert.equal(model.addPlaceholder(placeholder), true);
  assert.equal(model.addPlaceholder(placeholder), false);
  model.ingest(runStarted('r1', 7), 0, 0);
  const view = model.getRun('r1');
  assert.equal(view?.status, 'RUNNING');
  assert.equal(view?.createdAt, 7);
  assert.deepEqual(Object.keys(view?.steps ?? {}).sort(), ['charge', 'ship']);
});

void test('an event that cannot be applied is reported, kept and streamed, and does not stop the model', () => {
  const problems: string[] = [];
  const model = new ReadModel({ onProjectionError: (e) => problems.push(e.type) });
  const live: number[] = [];
  model.subscribeRun('orphan', 0, (e) => live.push(e.event.seq));
  assert.equal(model.ingest(stepLog('orphan', 2), 0, 0), true);
  assert.deepEqual(problems, ['StepLog']);
  assert.deepEqual(live, [2]);
  assert.equal(model.getRun('orphan'), undefined);
  model.ingest(runStarted('r2'), 0, 1);
  assert.equal(model.getRun('r2')?.status, 'RUNNING');
});

void test('subscribeRun: backlog after `since` plus live events, no gap and no duplicate', () => {
  const model = new ReadModel();
  model.ingest(runStarted('r1'), 0, 0);
  for (let seq = 2; seq <= 5; seq++) model.ingest(stepLog('r1', seq), 0, seq - 1);
  const live: number[] = [];
  const sub = model.subscribeRun('r1', 3, (e) => live.push(e.event.seq));
  assert.deepEqual(
    sub.backlog.map((e) => e.event.seq),
    [4, 5],
  );
  model.ingest(stepLog('r1', 6), 0, 5);
  model.ingest(stepLog('other', 1), 0, 6);
  sub.unsubscribe();
  model.ingest(stepLog('r1', 7), 0, 7);
  assert.deepEqual(live, [6]);
  const liveOnly = model.subscribeRun('r1', undefined, () => undefined);
  assert.deepEqual(liveOnly.backlog, []);
});

void test('subscribeAll resumes after any cursor it issued with exactly the events that followed (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ run: fc.integer({ min: 0, max: 5 }), partition: fc.integer({ min: 0, max: 2 }) }), { minLength: 1, maxLength: 60 }),
      fc.nat(),
      (plan, pick) => {
        const model = new ReadModel();
        model.setPartitionCount(3);
        const nextSeq = new Map<string, number>();
        const nextOffset = [0, 0, 0];
        const all: StoredEvent[] = [];
        model.subscribeAll(undefined, (e) => all.push(e));
        for (const step of plan) {
          // A run lives on one partition, as with keyed records.
          const runId = `r${step.run}`;
          const partition = step.run % 3;
          const seq = (nextSeq.get(runId) ?? 0) + 1;
          nextSeq.set(runId, seq);
          const offset = nextOffset[partition] ?? 0;
          nextOffset[partition] = offset + 1;
          model.ingest(seq === 1 ? runStarted(runId) : stepLog(runId, seq), partition, offset);
        }
        const index = pick % all.length;
        const cursor = encodeStreamCursor(all[index]?.positions ?? []);
        const decoded = decodeStreamCursor(cursor, 3);
        assert.ok(decoded);
        const resumed = model.subscribeAll(decoded, () => undefined).backlog;
        assert.deepEqual(
          resumed.map((e) => `${e.event.runId}#${e.event.seq}`),
          all.slice(index + 1).map((e) => `${e.event.runId}#${e.event.seq}`),
        );
      },
    ),
    { numRuns: 200 },
  );
});

void test('listRuns: newest first, filters, counts and a cursor that pages without overlap', () => {
  const model = new ReadModel();
  for (let i = 0; i < 7; i++) {
    const runId = `r${i}`;
    model.ingest(runStarted(runId, 100 + i, i % 2 === 0 ? 'orders' : 'refunds'), 0, i * 2);
    if (i % 3 === 0) model.ingest(runFailed(runId, 2), 0, i * 2 + 1);
  }
  const first = model.listRuns({ limit: 3 });
  assert.deepEqual(
    first.items.map((r) => r.runId),
    ['r6', 'r5', 'r4'],
  );
  assert.ok(first.next);
  const second = model.listRuns({ limit: 3, after: first.next });
  assert.deepEqual(
    second.items.map((r) => r.runId),
    ['r3', 'r2', 'r1'],
  );
  const third = model.listRuns({ limit: 3, ...(second.next ? { after: second.next } : {}) });
  assert.deepEqual(
    third.items.map((r) => r.runId),
    ['r0'],
  );
  assert.equal(third.next, null);
  assert.deepEqual(
    model.listRuns({ limit: 10, status: 'FAILED' }).items.map((r) => r.runId),
    ['r6', 'r3', 'r0'],
  );
  const orders = model.listRuns({ limit: 10, workflow: 'orders' });
  assert.deepEqual(
    orders.items.map((r) => r.runId),
    ['r6', 'r4', 'r2', 'r0'],
  );
  assert.deepEqual(orders.counts, { PENDING: 0, RUNNING: 2, SUCCEEDED: 0, FAILED: 2, CANCELLED: 0 });
  assert.equal(model.listRuns({ limit: 10, status: 'FAILED' }).items[0]?.error?.type, 'Boom');
});
