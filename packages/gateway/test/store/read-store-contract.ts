/**
 * The read-store contract: one suite that every store (SQLite, PostgreSQL) passes. A factory
 * opens a fresh store per test, and can reopen it (same data) to check what survives a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { RunEvent } from '@orchestrator-lite/core';
import type { IncomingRecord, ReadStore, StoredEvent } from '../../src/store/types.js';
import { runFailed, runStarted, runSucceeded, stepLog } from '../helpers.js';

export interface StoreHandle {
  store: ReadStore;
  /** Closes the store and opens it again on the same data. */
  reopen(): Promise<ReadStore>;
}

export type StoreFactory = (t: { after(fn: () => Promise<void> | void): void }) => Promise<StoreHandle>;

/** Stores on a fresh SQLite file in a folder of their own, opened (and reopened) with `open`. */
export function fileStoreFactory(open: (path: string) => ReadStore | Promise<ReadStore>): StoreFactory {
  return async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'orch-read-store-'));
    const path = join(dir, 'read-model.sqlite');
    let store = await open(path);
    t.after(async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    });
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await open(path);
        return store;
      },
    };
  };
}

const at = (offset: number, event: RunEvent | undefined): IncomingRecord => ({ offset, event });

export function readStoreContract(name: string, factory: StoreFactory): void {
  void test(`${name}: folds a batch into views, keeps the events with their offsets and moves the checkpoint`, async (t) => {
    const { store } = await factory(t);
    const result = await store.applyBatch(1, [at(0, runStarted('r1')), at(1, stepLog('r1', 2)), at(2, runFailed('r1', 3))], 3);
    assert.equal(result.applied, true);
    assert.deepEqual(
      result.accepted.map((e) => [e.event.seq, e.partition, e.offset]),
      [
        [1, 1, 0],
        [2, 1, 1],
        [3, 1, 2],
      ],
    );
    const view = await store.getRun('r1');
    assert.equal(view?.status, 'FAILED');
    assert.equal(view?.lastSeq, 3);
    assert.deepEqual(
      (await store.runEvents('r1', 1, 100)).map((e) => e.event.seq),
      [2, 3],
    );
    assert.deepEqual(await store.checkpoint(), [0, 3]);
    assert.deepEqual(await store.counts(), { PENDING: 0, RUNNING: 0, SUCCEEDED: 0, FAILED: 1, CANCELLED: 0 });
  });

  void test(`${name}: onAccepted hears each applied batch's accepted events once, and any code run after it finds them stored`, async (t) => {
    const { store } = await factory(t);
    const heard: number[][] = [];
    let storedThen: Promise<number[]> | undefined;
    const onAccepted = (accepted: readonly StoredEvent[]): void => {
      heard.push(accepted.map((e) => e.event.seq));
      // The earliest code that can run after the call: a microtask.
      storedThen ??= new Promise((resolve, reject) => queueMicrotask(() => store.runEvents('r1', 0, 100).then((es) => resolve(es.map((e) => e.event.seq)), reject)));
    };
    const first = await store.applyBatch(0, [at(0, runStarted('r1')), at(1, stepLog('r1', 2))], 2, onAccepted);
    assert.deepEqual(heard, [[1, 2]]);
    assert.deepEqual(
      first.accepted.map((e) => e.event.seq),
      [1, 2],
    );
    assert.deepEqual(await storedThen, [1, 2]);
    // A redelivery below the checkpoint applies nothing, and is not heard.
    await store.applyBatch(0, [at(0, runStarted('r1')), at(1, stepLog('r1', 2))], 2, onAccepted);
    // An old seq at a new offset is a duplicate: heard without it.
    await store.applyBatch(0, [at(2, stepLog('r1', 2, 'again')), at(3, runSucceeded('r1', 3))], 4, onAccepted);
    assert.deepEqual(heard, [[1, 2], [3]]);
  });

  void test(`${name}: replays are dropped, by seq within a run and by offset below the checkpoint`, async (t) => {
    const { store } = await factory(t);
    await store.applyBatch(0, [at(0, runStarted('r1')), at(1, stepLog('r1', 2))], 2);
    // The same records again (a redelivery after a crash before the bus commit): nothing changes.
    const again = await store.applyBatch(0, [at(0, runStarted('r1')), at(1, stepLog('r1', 2))], 2);
    assert.equal(again.applied, false);
    // A new offset carrying an old seq (the orchestrator re-emitting): a duplicate.
    const dup = await store.applyBatch(0, [at(2, stepLog('r1', 2, 'again')), at(3, runStarted('r1'))], 4);
    assert.equal(dup.duplicates, 2);
    assert.deepEqual(dup.accepted, []);
    assert.deepEqual(
      (await store.runEvents('r1', 0, 100)).map((e) => (e.event.type === 'StepLog' ? e.event.data.message : e.event.type)),
      ['RunStarted', 'log 2'],
    );
    // A batch that straddles the checkpoint applies only its new part.
    const straddle = await store.applyBatch(0, [at(3, stepLog('r1', 9)), at(4, stepLog('r1', 3))], 5);
    assert.deepEqual(
      straddle.accepted.map((e) => e.offset),
      [4],
    );
    assert.deepEqual(await store.checkpoint(), [5]);
  });

  void test(`${name}: an event before its RunStarted is kept and reported, and an undecodable record only moves the checkpoint`, async (t) => {
    const { store } = await factory(t);
    const result = await store.applyBatch(0, [at(0, stepLog('orphan', 2)), at(1, undefined), at(2, runStarted('r2'))], 3);
    assert.deepEqual(
      result.projectionErrors.map((p) => p.event.type),
      ['StepLog'],
    );
    assert.deepEqual(
      result.accepted.map((e) => e.event.runId),
      ['orphan', 'r2'],
    );
    assert.equal(await store.getRun('orphan'), undefined);
    assert.equal((await store.getRun('r2'))?.status, 'RUNNING');
    assert.deepEqual(
      (await store.partitionEvents(0, 0, 10)).map((e) => e.offset),
      [0, 2],
    );
    assert.deepEqual(await store.checkpoint(), [3]);
  });

  void test(`${name}: what was committed survives a reopen, with the same id`, async (t) => {
    const handle = await factory(t);
    await handle.store.applyBatch(2, [at(0, runStarted('r1')), at(1, runSucceeded('r1', 2))], 2);
    const id = handle.store.id;
    const reopened = await handle.reopen();
    assert.equal(reopened.id, id);
    assert.deepEqual(await reopened.checkpoint(), [0, 0, 2]);
    assert.equal((await reopened.getRun('r1'))?.status, 'SUCCEEDED');
    assert.deepEqual(await reopened.countsByWorkflow(), [{ workflow: 'orders', status: 'SUCCEEDED', count: 1 }]);
    // Writing on resumes where it stopped.
    const next = await reopened.applyBatch(2, [at(1, runSucceeded('r1', 2)), at(2, runStarted('r3'))], 3);
    assert.deepEqual(
      next.accepted.map((e) => e.event.runId),
      ['r3'],
    );
  });

  void test(`${name}: counters follow every transition (runs by workflow and status, steps by status)`, async (t) => {
    const { store } = await factory(t);
    await store.applyBatch(0, [at(0, runStarted('a', 1, 'orders')), at(1, runStarted('b', 2, 'refunds'))], 2);
    await store.applyBatch(0, [at(2, runFailed('a', 2)), at(3, runSucceeded('b', 2))], 4);
    assert.deepEqual(await store.counts('orders'), { PENDING: 0, RUNNING: 0, SUCCEEDED: 0, FAILED: 1, CANCELLED: 0 });
    assert.deepEqual(await store.countsByWorkflow(), [
      { workflow: 'orders', status: 'FAILED', count: 1 },
      { workflow: 'refunds', status: 'SUCCEEDED', count: 1 },
    ]);
    // Two runs of a two-step definition, nothing scheduled yet.
    assert.equal((await store.stepCounts()).PENDING, 4);
  });

  void test(`${name}: listRuns pages newest first without overlap or gap, under filters (property)`, async (t) => {
    const { store } = await factory(t);
    const runs = 60;
    const records: IncomingRecord[] = [];
    let offset = 0;
    const expected: { runId: string; createdAt: number; workflow: string; failed: boolean }[] = [];
    for (let i = 0; i < runs; i++) {
      // Many runs share a createdAt, so the runId tie-break is exercised.
      const runId = `r${String((i * 37) % runs).padStart(3, '0')}`;
      const createdAt = 100 + (i % 7);
      const workflow = i % 3 === 0 ? 'refunds' : 'orders';
      records.push(at(offset++, runStarted(runId, createdAt, workflow)));
      const failed = i % 4 === 0;
      if (failed) records.push(at(offset++, runFailed(runId, 2)));
      expected.push({ runId, createdAt, workflow, failed });
    }
    await store.applyBatch(0, records, offset);
    const order = (a: { createdAt: number; runId: string }, b: { createdAt: number; runId: string }): number =>
      b.createdAt - a.createdAt || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 25 }), fc.constantFrom(undefined, 'orders', 'refunds'), fc.constantFrom(undefined, 'FAILED' as const, 'RUNNING' as const), async (limit, workflow, status) => {
        const want = expected
          .filter((r) => (workflow === undefined || r.workflow === workflow) && (status === undefined || (status === 'FAILED') === r.failed))
          .sort(order)
          .map((r) => r.runId);
        const got: string[] = [];
        let after: { createdAt: number; runId: string } | undefined;
        for (let pages = 0; pages < 100; pages++) {
          const page = await store.listRuns({ limit, ...(workflow === undefined ? {} : { workflow }), ...(status === undefined ? {} : { status }), ...(after === undefined ? {} : { after }) });
          assert.ok(page.items.length <= limit);
          got.push(...page.items.map((r) => r.runId));
          if (page.next === null) break;
          after = page.next;
        }
        assert.deepEqual(got, want);
      }),
      { numRuns: 25 },
    );
    const failed = await store.listRuns({ limit: 1, status: 'FAILED' });
    assert.equal(failed.items[0]?.error?.type, 'Boom');
    assert.equal(failed.items[0]?.lastSeq, 2);
  });

  void test(`${name}: listRuns says why a PENDING run is queued, and stops once it is admitted`, async (t) => {
    const { store } = await factory(t);
    const queuedData = { key: 'tenant-a', limit: 1, policy: 'queue' as const, reason: 'tenant-a has 1 run going (limit 1)' };
    await store.applyBatch(0, [at(0, runStarted('q1')), at(1, { runId: 'q1', seq: 2, type: 'RunQueued', at: 1_500, data: queuedData }), at(2, runStarted('q2'))], 3);
    const listed = async (runId: string) => (await store.listRuns({ limit: 10 })).items.find((r) => r.runId === runId);
    assert.deepEqual((await listed('q1'))?.queued, { ...queuedData, since: 1_500 });
    assert.equal((await listed('q1'))?.status, 'PENDING');
    assert.equal('queued' in ((await listed('q2')) ?? {}), false, 'a run that is not queued has no queued field');
    await store.applyBatch(0, [at(3, { runId: 'q1', seq: 3, type: 'RunAdmitted', at: 1_600, data: { key: 'tenant-a', waitedMs: 100 } })], 4);
    assert.equal((await listed('q1'))?.status, 'RUNNING');
    assert.equal((await listed('q1'))?.queued, undefined);
  });

  void test(`${name}: runEvents and partitionEvents page by seq and by offset`, async (t) => {
    const { store } = await factory(t);
    const records: IncomingRecord[] = [at(0, runStarted('r1'))];
    for (let seq = 2; seq <= 30; seq++) records.push(at(seq - 1, stepLog('r1', seq)));
    await store.applyBatch(0, records, 30);
    const seqs: number[] = [];
    for (let since = 0; ; ) {
      const page = await store.runEvents('r1', since, 7);
      seqs.push(...page.map((e) => e.event.seq));
      const last = page.at(-1);
      if (page.length < 7 || last === undefined) break;
      since = last.event.seq;
    }
    assert.deepEqual(
      seqs,
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      (await store.partitionEvents(0, 25, 100)).map((e) => e.offset),
      [25, 26, 27, 28, 29],
    );
    assert.deepEqual(await store.partitionEvents(1, 0, 100), []);
  });
}
