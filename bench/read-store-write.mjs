#!/usr/bin/env node
/**
 * What the gateway's SQLite read store spends writing the events of a chain (10 steps unless
 * --steps), per event and per step, with no bus, no thread and no other role: the store alone, on
 * the batches the gateway gives it at saturation (64 runs in flight over 6 partitions, up to 40
 * events a batch, the batches of one turn in one transaction), the events made by the reducer
 * itself.
 *
 *   node bench/read-store-write.mjs [--base=REV] [--runs=3000] [--rounds=5] [--steps=10] [--ids=generated|keyed]
 *
 * --ids says how the runs are named: `generated`, as the gateway names a run (time-ordered), or
 * `keyed`, as a client's idempotency key names it (a hash, so in no order; the engine bench's).
 *
 * --steps sets the chain's length: with fewer steps, what a run costs (its row, written whole when
 * it starts and when it ends) weighs more per event.
 *
 * With --base, revision REV is checked out and built in a temporary git worktree, and its store
 * and this checkout's take turns in this one process, the order flipping each round, so that a
 * drift of the machine weighs on both alike; prints each round's ratio and their mean with a 95%
 * interval. The engine phase moves by 15–30% from run to run on a small virtual machine; this
 * moves by about a tenth.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeEvent, encodeMessage, newRunId, reduceRun, runIdForIdempotencyKey } from '@orchestrator-lite/core';
import { SqliteReadStore } from '@orchestrator-lite/gateway';
import { describeRatios, quantile } from './lib/stats.mjs';
import { CHAIN_LENGTH } from './lib/workloads.mjs';
import { resolveCommit, withWorktree } from './lib/worktree.mjs';

const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const runs = Number(arg('runs') ?? 3000);
const rounds = Number(arg('rounds') ?? 5);
const base = arg('base');
const steps = Number(arg('steps') ?? CHAIN_LENGTH);
const ids = arg('ids') ?? 'generated';
if (!(Number.isInteger(runs) && runs >= 100 && runs <= 100_000)) throw new Error(`read-store-write: --runs must be an integer from 100 to 100000, got ${arg('runs')}`);
if (!(Number.isInteger(rounds) && rounds >= 2 && rounds <= 21)) throw new Error(`read-store-write: --rounds must be an integer from 2 to 21, got ${arg('rounds')}`);
if (!(Number.isInteger(steps) && steps >= 1 && steps <= 100)) throw new Error(`read-store-write: --steps must be an integer from 1 to 100, got ${arg('steps')}`);
if (!['generated', 'keyed'].includes(ids)) throw new Error(`read-store-write: --ids must be generated or keyed, got ${ids}`);

const IN_FLIGHT = 64;
const PARTITIONS = 6;
const MAX_BATCH = 40;
/** Batches written in one transaction, as the gateway's consumers of one turn give them. */
const GROUP = 4;

const definition = {
  name: 'read-store-chain',
  steps: Array.from({ length: steps }, (_, i) => ({ id: `s${i}`, task: 'bench.noop', input: { i }, ...(i === 0 ? {} : { dependsOn: [`s${i - 1}`] }) })),
};

/** A run's events, each the next time it is asked, as the reducer makes them and the gateway decodes them. */
function* runEvents(n) {
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

/** The batches of `runs` runs, `IN_FLIGHT` at a time, each run on a partition of its own. */
function batches() {
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
    while (active.length < IN_FLIGHT && started < runs) active.push({ partition: started % PARTITIONS, events: runEvents(started++) });
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
  return { batches: out, events };
}

/** CPU µs per event of writing `work` into a fresh store of class `Store`. */
async function measure(Store, work) {
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

const say = (line) => process.stderr.write(`read-store-write: ${line}\n`);
const eventsPerStep = (work) => work.events / (runs * steps);

async function alone() {
  say(`${rounds} rounds of ${runs} runs of ${steps} steps, ids ${ids} (a first round warms up)`);
  await measure(SqliteReadStore, batches());
  const results = [];
  let work;
  for (let i = 0; i < rounds; i++) {
    work = batches();
    results.push(await measure(SqliteReadStore, work));
  }
  const sorted = [...results].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  process.stdout.write(`read store, SQLite: ${median.toFixed(1)} µs of CPU per event (rounds ${sorted[0].toFixed(1)}–${sorted.at(-1).toFixed(1)}), ${(median * eventsPerStep(work)).toFixed(0)} µs per step at ${eventsPerStep(work).toFixed(2)} events a step\n`);
}

async function against(root) {
  const url = pathToFileURL(join(root, 'packages/gateway/dist/src/store/sqlite-store.js'));
  const { SqliteReadStore: BaseStore } = await import(url.href);
  say(`${rounds} rounds of ${runs} runs of ${steps} steps, ids ${ids}, ${base} and this checkout in turn`);
  const warm = batches();
  await measure(BaseStore, warm);
  await measure(SqliteReadStore, warm);
  const ratios = [];
  for (let i = 0; i < rounds; i++) {
    const work = batches();
    const got = {};
    for (const side of i % 2 === 0 ? ['base', 'this'] : ['this', 'base']) got[side] = await measure(side === 'base' ? BaseStore : SqliteReadStore, work);
    ratios.push(got.this / got.base);
    say(`round ${i + 1}/${rounds}: ${base} ${got.base.toFixed(1)}, this ${got.this.toFixed(1)} µs per event`);
  }
  process.stdout.write(`read store, SQLite, CPU per event, this checkout against ${base}: ${describeRatios(ratios)}\n`);
}

if (base === undefined) await alone();
else await withWorktree(base, resolveCommit(base, 'read-store-write'), say, against);
