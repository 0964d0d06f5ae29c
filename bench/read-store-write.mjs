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
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqliteReadStore } from '@orchestrator-lite/gateway';
import { measureStore, storeCpuPerEvent, storeWork } from './lib/read-store-work.mjs';
import { describeRatios } from './lib/stats.mjs';
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

const say = (line) => process.stderr.write(`read-store-write: ${line}\n`);

async function alone() {
  say(`${rounds} rounds of ${runs} runs of ${steps} steps, ids ${ids} (a first round warms up)`);
  const { usPerEvent, rounds: sorted, eventsPerStep } = await measureStore(SqliteReadStore, { runs, rounds, steps, ids });
  process.stdout.write(`read store, SQLite: ${usPerEvent.toFixed(1)} µs of CPU per event (rounds ${sorted[0].toFixed(1)}–${sorted.at(-1).toFixed(1)}), ${(usPerEvent * eventsPerStep).toFixed(0)} µs per step at ${eventsPerStep.toFixed(2)} events a step\n`);
}

async function against(root) {
  const url = pathToFileURL(join(root, 'packages/gateway/dist/src/store/sqlite-store.js'));
  const { SqliteReadStore: BaseStore } = await import(url.href);
  say(`${rounds} rounds of ${runs} runs of ${steps} steps, ids ${ids}, ${base} and this checkout in turn`);
  const warm = storeWork({ runs, steps, ids });
  await storeCpuPerEvent(BaseStore, warm);
  await storeCpuPerEvent(SqliteReadStore, warm);
  const ratios = [];
  for (let i = 0; i < rounds; i++) {
    const work = storeWork({ runs, steps, ids });
    const got = {};
    for (const side of i % 2 === 0 ? ['base', 'this'] : ['this', 'base']) got[side] = await storeCpuPerEvent(side === 'base' ? BaseStore : SqliteReadStore, work);
    ratios.push(got.this / got.base);
    say(`round ${i + 1}/${rounds}: ${base} ${got.base.toFixed(1)}, this ${got.this.toFixed(1)} µs per event`);
  }
  process.stdout.write(`read store, SQLite, CPU per event, this checkout against ${base}: ${describeRatios(ratios)}\n`);
}

if (base === undefined) await alone();
else await withWorktree(base, resolveCommit(base, 'read-store-write'), say, against);
