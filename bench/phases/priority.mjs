/**
 * Priorities under a flood: one orchestrator and one worker (embedded bus by default). A flood of
 * low-priority runs (priority 3) is started at once; while the worker works through it, probe runs
 * of priority 1 and, for comparison, of priority 3 start one at a time. The figure is each probe's
 * latency from its StartRun to its RunSucceeded: high-priority probes should keep a latency near
 * one task's time, while low-priority probes wait behind the flood.
 */
import { decodeEvent, encodeMessage, parseDefinition, topicNames } from '@orchestrator-lite/core';
import { startOrchestrator } from '@orchestrator-lite/orchestrator';
import { defineTask, startWorker } from '@orchestrator-lite/worker';
import { openBus } from '../lib/bus.mjs';
import { mono, sleep, summarize, until } from '../lib/stats.mjs';

export async function run(o) {
  const bus = openBus(o.bus ?? 'embedded', 'priority');
  const names = topicNames(bus.prefix);
  const definition = parseDefinition({ name: 'bench-one', steps: [{ id: 'work', task: 'bench.work' }] });
  const common = { transport: bus.transport, topicPrefix: bus.prefix, partitions: o.partitions };
  const startedAt = new Map();
  const latency = { 1: [], 3: [] };
  let floodDone = 0;
  let counter = 0;
  const start = async (priority, n, probe) => {
    const records = [];
    for (let i = 0; i < n; i++) {
      const runId = `${probe ? 'probe' : 'flood'}-${priority}-${++counter}`;
      if (probe) startedAt.set(runId, { priority, at: mono() });
      const command = { v: 1, type: 'StartRun', runId, workflow: definition.name, version: 1, definition, input: {}, priority, at: Date.now() };
      records.push({ topic: names.commands, key: runId, value: encodeMessage(command) });
    }
    await bus.transport.produce(records);
  };
  const orchestrator = await startOrchestrator(common);
  const events = await bus.transport.subscribe({
    groupId: `${bus.prefix}bench-events`,
    topics: [names.events],
    maxBatch: 500,
    onBatch: async (records) => {
      for (const record of records) {
        const event = decodeEvent(record.value);
        if (event.type !== 'RunSucceeded') continue;
        const probe = startedAt.get(event.runId);
        if (probe === undefined) floodDone += 1;
        else latency[probe.priority].push(mono() - probe.at);
      }
    },
  });
  const worker = await startWorker({ ...common, concurrency: o.concurrency, tasks: [defineTask('bench.work', () => sleep(o.taskMs))] });
  try {
    await until(() => orchestrator.ownedPartitions().length === o.partitions, { timeoutMs: 30_000, what: 'the orchestrator to own its partitions' });
    await start(3, o.flood, false);
    for (let i = 0; i < o.probes; i++) {
      await start(i % 2 === 0 ? 1 : 3, 1, true);
      await sleep(o.probeEveryMs);
    }
    await until(() => latency[1].length + latency[3].length === o.probes && floodDone === o.flood, { timeoutMs: o.timeoutMs ?? 120_000, everyMs: 50, what: 'the flood and the probes to finish' });
    const high = summarize(latency[1].sort((a, b) => a - b));
    const low = summarize(latency[3].sort((a, b) => a - b));
    process.stderr.write(`  priority: flood of ${o.flood} low runs; high probes p50 ${high.p50.toFixed(0)} ms p95 ${high.p95.toFixed(0)} ms; low probes p50 ${low.p50.toFixed(0)} ms p95 ${low.p95.toFixed(0)} ms\n`);
    return { bus: bus.transport.kind, flood: o.flood, probes: o.probes, taskMs: o.taskMs, concurrency: o.concurrency, highMs: high, lowMs: low, lowOverHighP50: Math.round((low.p50 / high.p50) * 10) / 10 };
  } finally {
    await worker.close().catch(() => undefined);
    await orchestrator.close().catch(() => undefined);
    await events.close().catch(() => undefined);
    await bus.cleanup();
  }
}
