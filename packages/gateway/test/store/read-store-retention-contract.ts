/**
 * The retention part of the read-store contract, for every store: `expireRuns` deletes ended
 * runs with their events and their share of the counters, a slice at a time, and a late event of
 * a deleted run does not bring it back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RUN_STATUSES, STEP_STATUSES } from '@orchestrator-lite/core';
import type { RunEvent, RunStatus, StepStatus } from '@orchestrator-lite/core';
import type { IncomingRecord, ReadStore } from '../../src/store/types.js';
import { zeroCounts } from '../../src/store/types.js';
import { runFailed, runStarted, runSucceeded, stepLog } from '../helpers.js';
import type { StoreFactory } from './read-store-contract.js';

/** Writes `events` to partition 0 after what it holds. */
export async function append(store: ReadStore, events: RunEvent[]): Promise<void> {
  const from = (await store.checkpoint())[0] ?? 0;
  const records: IncomingRecord[] = events.map((event, i) => ({ offset: from + i, event }));
  await store.applyBatch(0, records, from + events.length);
}

/** An event at a given time. */
export function dated(event: RunEvent, at: number): RunEvent {
  return { ...event, at };
}

/** The counters as the views the store still holds imply them. */
export async function countsFromViews(store: ReadStore): Promise<{ runs: Map<string, Record<RunStatus, number>>; steps: Record<StepStatus, number> }> {
  const runs = new Map<string, Record<RunStatus, number>>();
  const steps = zeroCounts(STEP_STATUSES);
  let after: { createdAt: number; runId: string } | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await store.listRuns({ limit: 1000, ...(after === undefined ? {} : { after }) });
    for (const summary of page.items) {
      const view = await store.getRun(summary.runId);
      assert.ok(view !== undefined, `listed run ${summary.runId} has a view`);
      const counts = runs.get(view.workflow) ?? zeroCounts(RUN_STATUSES);
      counts[view.status] += 1;
      runs.set(view.workflow, counts);
      for (const step of Object.values(view.steps)) steps[step.status] += 1;
    }
    if (page.next === null) break;
    after = page.next;
  }
  return { runs, steps };
}

/** Asserts that the store's counters are exactly what its views imply. */
export async function assertCountsExact(store: ReadStore): Promise<void> {
  const { runs, steps } = await countsFromViews(store);
  const expected = [...runs]
    .flatMap(([workflow, counts]) => Object.entries(counts).map(([status, count]) => ({ workflow, status, count })))
    .filter((r) => r.count !== 0)
    .sort((a, b) => (a.workflow === b.workflow ? (a.status < b.status ? -1 : 1) : a.workflow < b.workflow ? -1 : 1));
  assert.deepEqual(await store.countsByWorkflow(), expected);
  assert.deepEqual(await store.stepCounts(), steps);
  const total = zeroCounts(RUN_STATUSES);
  for (const counts of runs.values()) for (const status of RUN_STATUSES) total[status] += counts[status];
  assert.deepEqual(await store.counts(), total);
}

export function readStoreRetentionContract(name: string, factory: StoreFactory): void {
  void test(`${name}: expireRuns deletes the runs ended before the cutoff with their events and counter shares; running and recent runs stay`, async (t) => {
    const { store } = await factory(t);
    await append(store, [
      runStarted('old-failed', 100),
      dated(runFailed('old-failed', 2), 1_500),
      runStarted('old-succeeded', 100, 'refunds'),
      stepLog('old-succeeded', 2),
      dated(runSucceeded('old-succeeded', 3), 1_200),
      runStarted('still-running', 100),
      stepLog('still-running', 2),
      runStarted('recent', 100),
      dated(runSucceeded('recent', 2), 5_000),
    ]);
    await assertCountsExact(store);
    const deleted = await store.expireRuns(2_000, 100);
    assert.deepEqual([...deleted].sort(), ['old-failed', 'old-succeeded']);
    for (const runId of deleted) {
      assert.equal(await store.getRun(runId), undefined);
      assert.deepEqual(await store.runEvents(runId, 0, 100), []);
    }
    assert.equal((await store.getRun('still-running'))?.status, 'RUNNING');
    assert.equal((await store.getRun('recent'))?.status, 'SUCCEEDED');
    assert.deepEqual((await store.listRuns({ limit: 100 })).items.map((r) => r.runId).sort(), ['recent', 'still-running']);
    assert.deepEqual((await store.listRuns({ limit: 100, workflow: 'refunds' })).items, []);
    assert.deepEqual(
      [...new Set((await store.partitionEvents(0, 0, 100)).map((e) => e.event.runId))].sort(),
      ['recent', 'still-running'],
    );
    assert.deepEqual(await store.counts(), { PENDING: 0, RUNNING: 1, SUCCEEDED: 1, FAILED: 0, CANCELLED: 0 });
    assert.deepEqual(await store.counts('refunds'), { PENDING: 0, RUNNING: 0, SUCCEEDED: 0, FAILED: 0, CANCELLED: 0 });
    assert.equal((await store.stepCounts()).PENDING, 4);
    await assertCountsExact(store);
    // Nothing else has ended before the cutoff; a later cutoff takes the recent run too.
    assert.deepEqual(await store.expireRuns(2_000, 100), []);
    assert.deepEqual(await store.expireRuns(5_001, 100), ['recent']);
    await assertCountsExact(store);
  });

  void test(`${name}: expireRuns takes at most limit runs per call, the longest ended first`, async (t) => {
    const { store } = await factory(t);
    const events: RunEvent[] = [];
    for (let i = 0; i < 25; i++) events.push(runStarted(`r${i}`, 100), dated(runSucceeded(`r${i}`, 2), 1_000 + i));
    await append(store, events);
    const slices: string[][] = [];
    for (let i = 0; i < 10; i++) {
      const slice = await store.expireRuns(10_000, 10);
      slices.push(slice);
      if (slice.length < 10) break;
    }
    assert.deepEqual(
      slices.map((s) => s.length),
      [10, 10, 5],
    );
    assert.deepEqual(slices[0]?.slice().sort(), Array.from({ length: 10 }, (_, i) => `r${i}`).sort());
    assert.deepEqual(await store.counts(), zeroCounts(RUN_STATUSES));
    assert.deepEqual(await store.stepCounts(), zeroCounts(STEP_STATUSES));
  });

  void test(`${name}: a late event of an expired run is dropped, before and after a reopen; a RunStarted after its end is a new run`, async (t) => {
    const handle = await factory(t);
    await append(handle.store, [runStarted('gone', 100), stepLog('gone', 2), dated(runFailed('gone', 3), 1_000)]);
    assert.deepEqual(await handle.store.expireRuns(2_000, 10), ['gone']);
    // A replay of its history (its RunStarted first) and a late log line: no view, no events.
    const from = (await handle.store.checkpoint())[0] ?? 0;
    const replay = await handle.store.applyBatch(
      0,
      [runStarted('gone', 100), stepLog('gone', 2), dated(stepLog('gone', 4), 1_000)].map((event, i) => ({ offset: from + i, event })),
      from + 3,
    );
    assert.equal(replay.expired, 3);
    assert.deepEqual(replay.accepted, []);
    assert.deepEqual(replay.projectionErrors, []);
    const store = await handle.reopen();
    await append(store, [runStarted('gone', 100)]);
    assert.equal(await store.getRun('gone'), undefined);
    assert.deepEqual(await store.runEvents('gone', 0, 10), []);
    await assertCountsExact(store);
    // The same id started again after the old run ended (an idempotency key used again).
    await append(store, [runStarted('gone', 9_000), stepLog('gone', 2)]);
    assert.equal((await store.getRun('gone'))?.status, 'RUNNING');
    assert.equal((await store.getRun('gone'))?.createdAt, 9_000);
    assert.deepEqual(
      (await store.runEvents('gone', 0, 10)).map((e) => e.event.seq),
      [1, 2],
    );
    await assertCountsExact(store);
  });

  void test(`${name}: forgetExpired forgets the ids of runs ended before its cutoff, a slice at a time`, async (t) => {
    const { store } = await factory(t);
    await append(store, [runStarted('a', 100), dated(runFailed('a', 2), 1_000), runStarted('b', 100), dated(runFailed('b', 2), 3_000)]);
    assert.equal((await store.expireRuns(5_000, 10)).length, 2);
    assert.equal(await store.forgetExpired(2_000, 10), 1);
    assert.equal(await store.forgetExpired(2_000, 10), 0);
    // a is forgotten: an event of it is an orphan again (kept, reported); b's is still dropped.
    const from = (await store.checkpoint())[0] ?? 0;
    const result = await store.applyBatch(0, [{ offset: from, event: stepLog('a', 3) }, { offset: from + 1, event: stepLog('b', 3) }], from + 2);
    assert.deepEqual(
      result.accepted.map((e) => e.event.runId),
      ['a'],
    );
    assert.equal(result.expired, 1);
  });
}
