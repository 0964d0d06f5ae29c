/**
 * The gateway's SQLite read store alone writing the events of chains as the gateway batches them
 * at saturation (see `bench/read-store-write.mjs`): the batches, and the CPU per event of writing
 * them into a fresh store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEvent, encodeMessage, newRunId, reduceRun, runIdForIdempotencyKey } from '@orchestrator-lite/core';
import { quantile } from './stats.mjs';

const IN_FLIGHT = 64;
const PARTITIONS = 6;
const MAX_BATCH = 40;
/** Batches written in one transaction, as the gateway's consumers of one turn give them. */
const GROUP = 4;

/** A chain of `steps` steps in a row. */
const chainOf = (steps) => ({
  name: 'read-store-chain',
  steps: Array.from({ length: steps }, (_, i) => ({ id: `s${i}`, task: 'bench.noop', input: { i }, ...(i === 0 ? {} : { dependsOn: [`s${i - 1}`] }) })),
});

/** A run's events, each the next time it is asked, as the reducer makes them and the gateway decodes them. */
function* runEvents(definition, ids, n) {
  let now = 1_700_000_000_000 + n * 1000;
  const ctx = () => ({ now: now++, random: () => 0.5 });
  const runId = ids === 'keyed' ? runIdForIdempotencyKey(definition.name, `r${n}-${Math.random()}`) : newRunId(now);
  let result = reduceRun(undefined, { v: 1, type: 'StartRun', runId, workflow: definition.name, version: 1, definition, input: { n }, at: now }, ctx());
  for (;;) {
    for (const event of result.events) yield decodeEvent(encodeMessage(event));
    const task = result.tasks[0];
    if (task === undefined) return;
    result = reduceRun(result.state, { v: 1, type: 'TaskCompleted', runId, stepId: task.stepId, attempt: task.attempt, workerId: 'w1', at: now, startedAt: now, output: { ok: true, n } }, ctx());
  }
}

/**
 * The batches of `runs` runs of a chain of `steps` steps, `IN_FLIGHT` at a time, each run on a
 * partition of its own, named as `ids` says (`generated` or `keyed`), and how many events they hold.
 */
export function storeWork({ runs, steps, ids }) {
  const definition = chainOf(steps);
  const pending = Array.from({ length: PARTITIONS }, () => []);
  const next = Array(PARTITIONS).fill(0);
  const out = [];
  const flush = (p) => {
    const events = pending[p].splice(0);
    if (events.length === 0) return;
    out.push({ partition: p, records: events.map((event) => ({ offset: next[p]++, event })), next: next[p] });
  };
  const active = [];
  let started = 0;
  let events = 0;
  while (started < runs || active.length > 0) {
    while (active.length < IN_FLIGHT && started < runs) active.push({ partition: started % PARTITIONS, events: runEvents(definition, ids, started++) });
    // A step of each run in flight: its next two events (what ended and what it scheduled).
    for (let i = active.length - 1; i >= 0; i--) {
      for (let k = 0; k < 2; k++) {
        const { value, done } = active[i].events.next();
        if (done) {
          active.splice(i, 1);
          break;
        }
        pending[active[i].partition].push(value);
        events++;
      }
    }
    for (let p = 0; p < PARTITIONS; p++) if (pending[p].length >= MAX_BATCH || active.length === 0) flush(p);
  }
  return { batches: out, events, steps: runs * steps };
}

/** CPU µs per event of writing `work` into a fresh store of class `Store`. */
export async function storeCpuPerEvent(Store, work) {
  const dir = mkdtempSync(join(tmpdir(), 'orch-read-store-write-'));
  const store = new Store({ path: join(dir, 'read-model.sqlite') });
  try {
    const before = process.cpuUsage();
    for (let i = 0; i < work.batches.length; i += GROUP) {
      await Promise.all(work.batches.slice(i, i + GROUP).map((b) => store.applyBatch(b.partition, b.records, b.next)));
    }
    const used = process.cpuUsage(before);
    return (used.user + used.system) / work.events;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `rounds` rounds of fresh work after one that warms up, each into a fresh store of class `Store`:
 * the median CPU per event, each round's, and the events a step of the chain makes.
 */
export async function measureStore(Store, { runs, rounds, steps, ids }) {
  await storeCpuPerEvent(Store, storeWork({ runs, steps, ids }));
  const results = [];
  let work;
  for (let i = 0; i < rounds; i++) {
    work = storeWork({ runs, steps, ids });
    results.push(await storeCpuPerEvent(Store, work));
  }
  const sorted = [...results].sort((a, b) => a - b);
  return { usPerEvent: quantile(sorted, 0.5), rounds: sorted, eventsPerStep: work.events / work.steps };
}
