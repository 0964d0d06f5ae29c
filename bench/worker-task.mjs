#!/usr/bin/env node
/**
 * What a worker spends on a task besides its handler: a worker alone on the embedded bus, with no
 * orchestrator, is fed no-op tasks (the engine bench's handler) and writes their results, at the
 * engine bench's concurrency; the event loop's CPU per task and the process's, and the bytes the
 * event loop allocates per task, from the first task fed until the last result is on the bus.
 * The bus's reads and writes are in every figure, alike for any worker, so a change to the
 * worker's own path (an attempt's context, timers, result) shows in their ratio.
 *
 *   node bench/worker-task.mjs [--base=REV] [--tasks=20000] [--rounds=6]
 *
 * With --base, revision REV is checked out and built in a temporary git worktree, and its worker
 * (on its own bus) and this checkout's take turns in this one process, the order flipping each
 * round; prints each round's figures and the mean ratio of the rounds with its 95% interval.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { encodeMessage, topicNames } from '@orchestrator-lite/core';
import { describeRatios, quantile } from './lib/stats.mjs';
import { threadCounters } from './lib/thread-cpu.mjs';
import { checkoutRoot, importBuilt, resolveCommit, withWorktree } from './lib/worktree.mjs';
import { ENGINE_LOAD, TASK, noop } from './lib/workloads.mjs';

const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const tasks = Number(arg('tasks') ?? 20_000);
const rounds = Number(arg('rounds') ?? 6);
const base = arg('base');
if (!(Number.isInteger(tasks) && tasks >= 1000 && tasks <= 200_000)) throw new Error(`worker-task: --tasks must be an integer from 1000 to 200000, got ${arg('tasks')}`);
if (!(Number.isInteger(rounds) && rounds >= 2 && rounds <= 21)) throw new Error(`worker-task: --rounds must be an integer from 2 to 21, got ${arg('rounds')}`);

const QUEUE = 'default';
const PARTITIONS = 1;
/** Tasks a produce call of the feeding carries, and how many may wait for their results. */
const FEED_CHUNK = 32;
const FEED_AHEAD = 4 * ENGINE_LOAD.concurrency;
/** Bounds one measurement, whatever the worker does. */
const TIMEOUT_MS = 120_000;
const names = topicNames('orch.');

/** The packages of one tree: this checkout's, or a worktree's. */
async function packagesAt(root) {
  const load = (pkg) => importBuilt(root, pkg);
  const [{ startWorker, defineTask }, { createEmbeddedTransport }] = await Promise.all([load('worker'), load('transport')]);
  return { startWorker, defineTask, createEmbeddedTransport };
}

function taskRecord(i, now) {
  const runId = `run-${i}`;
  const task = { v: 1, type: 'TaskDispatched', runId, stepId: 's1', attempt: 1, task: TASK, queue: QUEUE, input: { n: 1 }, idempotencyKey: `${runId}:s1:1`, dispatchedAt: now };
  return { topic: names.tasks(QUEUE), key: task.idempotencyKey, value: encodeMessage(task) };
}

const countersNow = () => {
  const usage = process.cpuUsage();
  return { process: usage.user + usage.system, loop: threadCounters()?.cpu.main ?? Number.NaN };
};

/**
 * Bytes the event loop allocates from now until the returned function is called: what each
 * garbage collection meanwhile freed, plus how much the heap grew (V8 counts no allocations).
 */
function allocationMeter() {
  const used = () => getHeapStatistics().used_heap_size;
  const start = used();
  const profiler = new GCProfiler();
  profiler.start();
  return () => {
    const { statistics } = profiler.stop();
    const freed = statistics.reduce((sum, gc) => sum + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize, 0);
    return freed + used() - start;
  };
}

/**
 * The worker of `pkgs` through `tasks` tasks on a fresh bus, fed as the orchestrator feeds it: a
 * chunk at a time while it works, at most FEED_AHEAD not yet answered, so that it reads them from
 * the bus's recent records as in the engine. CPU µs per task, the event loop's and the process's
 * (the feeding's own produce calls counted in both, alike for any worker), and bytes allocated.
 */
async function measure(pkgs) {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-worker-task-'));
  const transport = pkgs.createEmbeddedTransport({ dataDir });
  try {
    await transport.ensureTopics([{ name: names.tasks(QUEUE), partitions: PARTITIONS }, { name: names.results, partitions: PARTITIONS }]);
    const results = async () => (await transport.endOffsets(names.results)).reduce((a, b) => a + b, 0);
    const worker = await pkgs.startWorker({ transport, tasks: [pkgs.defineTask(TASK, noop)], concurrency: ENGINE_LOAD.concurrency, partitions: PARTITIONS, workerId: 'bench' });
    const before = countersNow();
    const allocated = allocationMeter();
    const deadline = Date.now() + TIMEOUT_MS;
    let fed = 0;
    for (let done = 0; done < tasks; done = await results()) {
      if (Date.now() > deadline) throw new Error(`worker-task: ${done} of ${tasks} results after ${TIMEOUT_MS} ms`);
      if (fed < tasks && fed - done < FEED_AHEAD) {
        const chunk = Array.from({ length: Math.min(FEED_CHUNK, tasks - fed) }, (_, k) => taskRecord(fed + k, Date.now()));
        fed += chunk.length;
        await transport.produce(chunk);
      } else {
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const bytes = allocated();
    const after = countersNow();
    await worker.close();
    return { loop: (after.loop - before.loop) / tasks, process: (after.process - before.process) / tasks, bytes: bytes / tasks };
  } finally {
    await transport.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const say = (line) => process.stderr.write(`worker-task: ${line}\n`);
const fmt = (m) => `event loop ${m.loop.toFixed(1)}, process ${m.process.toFixed(1)} µs, ${(m.bytes / 1024).toFixed(1)} KB allocated a task`;
const KEYS = ['loop', 'process', 'bytes'];

async function alone() {
  const pkgs = await packagesAt(checkoutRoot);
  say(`${rounds} rounds of ${tasks} tasks (a first round warms up)`);
  await measure(pkgs);
  const got = [];
  for (let i = 0; i < rounds; i++) got.push(await measure(pkgs));
  const median = (key) => quantile(got.map((m) => m[key]).sort((a, b) => a - b), 0.5);
  process.stdout.write(`worker, embedded bus, per task (median of ${rounds} rounds): ${fmt({ loop: median('loop'), process: median('process'), bytes: median('bytes') })}\n`);
}

async function against(root) {
  const sides = { base: await packagesAt(root), this: await packagesAt(checkoutRoot) };
  say(`${rounds} rounds of ${tasks} tasks, ${base} and this checkout in turn (a first round of each warms up)`);
  await measure(sides.base);
  await measure(sides.this);
  const ratios = Object.fromEntries(KEYS.map((k) => [k, []]));
  for (let i = 0; i < rounds; i++) {
    const got = {};
    for (const side of i % 2 === 0 ? ['base', 'this'] : ['this', 'base']) got[side] = await measure(sides[side]);
    for (const key of KEYS) ratios[key].push(got.this[key] / got.base[key]);
    say(`round ${i + 1}/${rounds}: ${base} ${fmt(got.base)}; this ${fmt(got.this)}`);
  }
  process.stdout.write(
    `worker, embedded bus, this checkout against ${base}: the event loop's CPU per task ${describeRatios(ratios.loop)}; the process's ${describeRatios(ratios.process)}; bytes allocated per task ${describeRatios(ratios.bytes)}\n`,
  );
}

if (base === undefined) await alone();
else await withWorktree(base, resolveCommit(base, 'worker-task'), say, against);
