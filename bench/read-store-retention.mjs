#!/usr/bin/env node
/**
 * The gateway's retention sweep on the SQLite read store: how long one slice (one transaction
 * deleting RETENTION_SLICE runs with their events and counter shares) holds the event loop,
 * after 2,000 and after 20,000 finished runs (a 2-step chain, 8 events each). A measurement, not
 * a test:
 *
 *   node bench/read-store-retention.mjs [runs...]        (default: 2000 20000)
 *
 * For each size: the history is folded into a fresh store file through the projector
 * (applyBatch, 500 events per batch), then a sweep deletes every run with the gateway's
 * RetentionSweep. Each slice is synchronous on SQLite, so its duration is the time it blocks the
 * loop; the loop's own delay, sampled every 1 ms during the sweep, is printed beside it, and so
 * is the process CPU time of each slice (what the slice costs when it has a core to itself, as
 * opposed to wall time on a busy machine). BENCH_TMPDIR puts the store on another file system.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { finishedChainEvents } from './lib/history.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const gatewayDist = (file) => import(pathToFileURL(join(root, 'packages/gateway/dist/src', file)).href);
const { SqliteReadStore } = await gatewayDist('store/sqlite-store.js');
const { RetentionSweep, RETENTION_SLICE } = await gatewayDist('retention.js');
const { pino } = await import(pathToFileURL(join(root, 'node_modules/pino/pino.js')).href);

async function measure(runs) {
  const dir = mkdtempSync(join(process.env.BENCH_TMPDIR ?? tmpdir(), 'read-store-retention-'));
  try {
    const store = new SqliteReadStore({ path: join(dir, 'read-model.sqlite') });
    let offset = 0;
    let batch = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await store.applyBatch(0, batch, offset);
      batch = [];
    };
    for (let i = 0; i < runs; i++) {
      for (const event of finishedChainEvents(`run-${String(i).padStart(6, '0')}`, 1_000_000 + i * 10)) batch.push({ offset: offset++, event });
      if (batch.length >= 500) await flush();
    }
    await flush();
    const slices = [];
    const cpu = [];
    const timed = {
      expireRuns: (endedBefore, limit) => {
        const started = performance.now();
        const usage = process.cpuUsage();
        const result = store.expireRuns(endedBefore, limit);
        const used = process.cpuUsage(usage);
        slices.push(performance.now() - started);
        cpu.push((used.user + used.system) / 1000);
        return result;
      },
      forgetExpired: (endedBefore, limit) => store.forgetExpired(endedBefore, limit),
    };
    const delay = monitorEventLoopDelay({ resolution: 1 });
    const sweep = new RetentionSweep({ store: timed, retentionMs: 1, intervalMs: 60_000, now: () => 1_000_000 + runs * 10 + 100, ready: () => true, logger: pino({ level: 'silent' }) });
    delay.enable();
    const started = performance.now();
    const deleted = await sweep.sweep();
    const totalMs = performance.now() - started;
    delay.disable();
    const left = Object.values(await store.counts()).reduce((a, b) => a + b, 0);
    await store.close();
    const sorted = [...slices].sort((a, b) => a - b);
    const sortedCpu = [...cpu].sort((a, b) => a - b);
    return {
      cpuMaxMs: sortedCpu.at(-1),
      cpuP50Ms: sortedCpu[Math.floor(sortedCpu.length / 2)],
      runs,
      deleted,
      left,
      slices: slices.length,
      maxMs: sorted.at(-1),
      p50Ms: sorted[Math.floor(sorted.length / 2)],
      totalMs,
      loopDelayMaxMs: delay.max / 1e6,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const runs of sizes.length > 0 ? sizes : [2000, 20000]) {
  const r = await measure(runs);
  console.log(
    `${r.runs} finished runs, ${RETENTION_SLICE} per slice: deleted ${r.deleted} (left ${r.left}) in ${r.slices} slices; ` +
      `slice p50 ${r.p50Ms.toFixed(2)} ms, longest ${r.maxMs.toFixed(2)} ms (CPU time p50 ${r.cpuP50Ms.toFixed(2)} ms, max ${r.cpuMaxMs.toFixed(2)} ms); whole sweep ${r.totalMs.toFixed(0)} ms; event-loop delay max ${r.loopDelayMaxMs.toFixed(2)} ms`,
  );
}
