#!/usr/bin/env node
/**
 * The longest event-loop stall, and the CPU and wall time of each slice, while the embedded log
 * compacts orch.state-like data of 20,000 runs (a measurement, not a test):
 *
 *   node bench/compaction-stall.mjs [runs, default 20000]
 *
 * Each run writes 12 records on a compacted topic (its header 4 times, 2 steps 3 times each, its
 * input once, and a tombstone for each step when it ends). The sliced compaction runs in the
 * background while a timer measures the loop's delay; then, on a copy of the same log, the
 * former one-statement compaction (a DELETE over the whole topic) is timed for comparison.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { createEmbeddedTransport } from '@orchestrator-lite/transport';

const runs = Number(process.argv[2] ?? 20_000);
const dataDir = mkdtempSync(join(tmpdir(), 'compaction-stall-'));
const transport = createEmbeddedTransport({ dataDir, compactionIntervalMs: 0 });
await transport.ensureTopics([{ name: 'orch.state', partitions: 6, compacted: true }]);
const value = Buffer.alloc(200, 'x');
for (let start = 0; start < runs; start += 500) {
  const records = [];
  for (let i = start; i < Math.min(runs, start + 500); i++) {
    const runId = `run-${i}`;
    records.push({ topic: 'orch.state', key: `${runId}/input`, value });
    for (let n = 0; n < 3; n++) {
      records.push({ topic: 'orch.state', key: runId, value });
      for (const step of ['a', 'b']) records.push({ topic: 'orch.state', key: `${runId}/step/${step}`, value });
    }
    records.push({ topic: 'orch.state', key: runId, value });
    for (const step of ['a', 'b']) records.push({ topic: 'orch.state', key: `${runId}/step/${step}`, value: null });
  }
  await transport.produce(records);
}
const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();
// The compaction yields with setImmediate between slices; so does this sampler, so each of its
// turns sees one slice: the CPU time (process.cpuUsage, user + system) and wall time in between
// are that slice's. The CPU figure is what the slice size controls; the wall figure also holds
// what the other processes of a loaded machine took from this one.
const turns = [];
let sampling = true;
let lastCpu = process.cpuUsage();
let lastWall = performance.now();
const sample = () => {
  const cpu = process.cpuUsage(lastCpu);
  const now = performance.now();
  turns.push({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs: now - lastWall });
  lastCpu = process.cpuUsage();
  lastWall = now;
  if (sampling) setImmediate(sample);
};
setImmediate(sample);
const started = performance.now();
const removed = await transport.compact();
const elapsed = performance.now() - started;
sampling = false;
histogram.disable();
await transport.close();
const sorted = (k) => turns.map((t) => t[k]).sort((a, b) => a - b);
const pct = (xs, q) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;
const cpu = sorted('cpuMs');
const wall = sorted('wallMs');

// The former compaction, as one statement pair in one transaction, on the uncompacted log.
const before = mkdtempSync(join(tmpdir(), 'compaction-before-'));
const again = createEmbeddedTransport({ dataDir: before, compactionIntervalMs: 0 });
await again.ensureTopics([{ name: 'orch.state', partitions: 6, compacted: true }]);
await again.close();
copyFileSync(join(dataDir, 'bus.db'), join(before, 'bus.db'));
const db = new Database(join(before, 'bus.db'));
const oldStarted = performance.now();
db.transaction(() => {
  db.prepare('DELETE FROM records WHERE topic = @topic AND ("partition", "offset") NOT IN (SELECT "partition", MAX("offset") FROM records WHERE topic = @topic GROUP BY "partition", key)').run({ topic: 'orch.state' });
  db.prepare('DELETE FROM records WHERE topic = @topic AND value IS NULL AND "offset" < (SELECT MAX(r2."offset") FROM records AS r2 WHERE r2.topic = @topic AND r2."partition" = records."partition")').run({ topic: 'orch.state' });
})();
const oldStall = performance.now() - oldStarted;
db.close();
rmSync(dataDir, { recursive: true, force: true });
rmSync(before, { recursive: true, force: true });

const r1 = (x) => Math.round(x * 10) / 10;
const result = {
  runs,
  removed,
  slicedTotalMs: Math.round(elapsed),
  slices: turns.length,
  sliceCpuMs: { p50: r1(pct(cpu, 0.5)), p99: r1(pct(cpu, 0.99)), max: r1(cpu.at(-1) ?? 0) },
  sliceWallMs: { p50: r1(pct(wall, 0.5)), p99: r1(pct(wall, 0.99)), max: r1(wall.at(-1) ?? 0) },
  longestStallMs: Math.round(histogram.max / 1e6),
  formerOneStatementStallMs: Math.round(oldStall),
  loadAverage: (await import('node:os')).loadavg().map((l) => r1(l)),
};
console.log(JSON.stringify(result));
process.stderr.write(
  `${runs} runs: ${removed} records removed in ${result.slicedTotalMs} ms, ${result.slices} slices; CPU per slice p50 ${result.sliceCpuMs.p50} / p99 ${result.sliceCpuMs.p99} / max ${result.sliceCpuMs.max} ms; ` +
    `wall per slice p50 ${result.sliceWallMs.p50} / p99 ${result.sliceWallMs.p99} / max ${result.sliceWallMs.max} ms; longest loop stall ${result.longestStallMs} ms ` +
    `(load average ${result.loadAverage.join(' ')}; the former one-statement compaction of the same log: ${result.formerOneStatementStallMs} ms)\n`,
);
