#!/usr/bin/env node
/**
 * The longest event-loop stall while the embedded log compacts orch.state-like data of 20,000
 * runs (a measurement, not a test):
 *
 *   node bench/compaction-stall.mjs [runs, default 20000]
 *
 * Each run writes 12 records on a compacted topic (its header 4 times, 2 steps 3 times each, its
 * input once, and a tombstone for each step when it ends). Compaction runs on the bus's compaction
 * thread: at full pace while the event loop's delay is measured, then, on a copy of the same log,
 * at the periodic compaction's pace (BACKGROUND_COMPACTION_SHARE of the compaction thread). The
 * CPU figures are the process's (both threads).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BACKGROUND_COMPACTION_SHARE, createEmbeddedTransport } from '@orchestrator-lite/transport';

const runs = Number(process.argv[2] ?? 20_000);
const dataDir = mkdtempSync(join(tmpdir(), 'compaction-stall-'));
let transport = createEmbeddedTransport({ dataDir, compactionIntervalMs: 0 });
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
// A copy of the uncompacted log for the paced measurement (closed first: the file is whole).
await transport.close();
const uncompacted = mkdtempSync(join(tmpdir(), 'compaction-log-'));
copyFileSync(join(dataDir, 'bus.db'), join(uncompacted, 'bus.db'));
transport = createEmbeddedTransport({ dataDir, compactionIntervalMs: 0 });
const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();
const cpuBefore = process.cpuUsage();
const started = performance.now();
const removed = await transport.compact();
const elapsed = performance.now() - started;
const usage = process.cpuUsage(cpuBefore);
histogram.disable();
await transport.close();

// The periodic compaction's pace, on the copy: the CPU it took, and the loop's delay meanwhile.
const pacedDir = mkdtempSync(join(tmpdir(), 'compaction-paced-'));
copyFileSync(join(uncompacted, 'bus.db'), join(pacedDir, 'bus.db'));
const paced = createEmbeddedTransport({ dataDir: pacedDir, compactionIntervalMs: 0 });
const pacedDelay = monitorEventLoopDelay({ resolution: 5 });
pacedDelay.enable();
const pacedCpu = process.cpuUsage();
const pacedStarted = performance.now();
await paced.compact({ share: BACKGROUND_COMPACTION_SHARE });
const pacedMs = performance.now() - pacedStarted;
const pacedUsage = process.cpuUsage(pacedCpu);
const pacedCpuMs = (pacedUsage.user + pacedUsage.system) / 1000;
pacedDelay.disable();
await paced.close();
rmSync(pacedDir, { recursive: true, force: true });

rmSync(dataDir, { recursive: true, force: true });
rmSync(uncompacted, { recursive: true, force: true });

const r1 = (x) => Math.round(x * 10) / 10;
const result = {
  runs,
  removed,
  totalMs: Math.round(elapsed),
  cpuShare: r1((usage.user + usage.system) / 1000 / elapsed),
  loopDelayP99Ms: r1(histogram.percentile(99) / 1e6),
  longestStallMs: r1(histogram.max / 1e6),
  paced: { share: BACKGROUND_COMPACTION_SHARE, totalMs: Math.round(pacedMs), cpuShare: r1(pacedCpuMs / pacedMs), loopDelayP99Ms: r1(pacedDelay.percentile(99) / 1e6), longestStallMs: r1(pacedDelay.max / 1e6) },
  loadAverage: (await import('node:os')).loadavg().map((l) => r1(l)),
};
console.log(JSON.stringify(result));
process.stderr.write(
  `${runs} runs: ${removed} records removed in ${result.totalMs} ms at full pace, CPU ${result.cpuShare} of that time; loop delay p99 ${result.loopDelayP99Ms} ms, ` +
    `longest loop stall ${result.longestStallMs} ms (load average ${result.loadAverage.join(' ')})\n` +
    `paced at ${result.paced.share} of the compaction thread, as the periodic compaction runs: ${result.paced.totalMs} ms in all, CPU ${result.paced.cpuShare} of that time, loop delay p99 ${result.paced.loopDelayP99Ms} ms, longest stall ${result.paced.longestStallMs} ms\n`,
);
