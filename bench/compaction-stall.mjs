#!/usr/bin/env node
/**
 * The longest event-loop stall while the embedded log compacts orch.state-like data of 20,000
 * runs (a measurement, not a test):
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
const started = performance.now();
const removed = await transport.compact();
const elapsed = performance.now() - started;
histogram.disable();
await transport.close();

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

const result = { runs, removed, slicedTotalMs: Math.round(elapsed), longestStallMs: Math.round(histogram.max / 1e6), formerOneStatementStallMs: Math.round(oldStall) };
console.log(JSON.stringify(result));
process.stderr.write(`${runs} runs: ${removed} records removed in ${result.slicedTotalMs} ms of slices; longest loop stall ${result.longestStallMs} ms (the former one-statement compaction of the same log: ${result.formerOneStatementStallMs} ms)\n`);
