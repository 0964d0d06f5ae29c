/**
 * Orchestrator heap per idle active run. Only the orchestrator runs here (no gateway read model,
 * no worker), on the embedded bus. Runs are started by producing StartRun commands; their one step
 * is dispatched to a queue no worker serves, so every run stays RUNNING and held in memory.
 * heapUsed is compared after forced collections (this process runs with --expose-gc).
 */
import { encodeMessage, parseDefinition, topicNames } from '@orchestrator-lite/core';
import { startOrchestrator } from '@orchestrator-lite/orchestrator';
import { openBus } from '../lib/bus.mjs';
import { sleep, until } from '../lib/stats.mjs';

const settle = async () => {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await sleep(50);
  }
  return process.memoryUsage().heapUsed;
};

export async function run(o) {
  if (typeof globalThis.gc !== 'function') throw new Error('memory phase: run node with --expose-gc');
  const bus = openBus(o.bus ?? 'embedded', 'memory');
  const names = topicNames(bus.prefix);
  const definition = parseDefinition({
    name: 'bench-idle',
    steps: [
      { id: 'wait', task: 'bench.never', queue: 'idle', input: { customer: '${input.customer}', amount: '${input.amount}' } },
      { id: 'after', task: 'bench.never', queue: 'idle', dependsOn: ['wait'] },
    ],
  });
  let counter = 0;
  const startRuns = async (n) => {
    for (let done = 0; done < n; done += 500) {
      const records = [];
      for (let i = 0; i < Math.min(500, n - done); i++) {
        const runId = `idle-${++counter}`;
        const command = { v: 1, type: 'StartRun', runId, workflow: definition.name, version: 1, definition, input: { customer: `c-${counter}`, amount: counter }, at: Date.now() };
        records.push({ topic: names.commands, key: runId, value: encodeMessage(command) });
      }
      await bus.transport.produce(records);
    }
  };
  const orchestrator = await startOrchestrator({ transport: bus.transport, topicPrefix: bus.prefix, partitions: o.partitions });
  try {
    await until(() => orchestrator.ownedPartitions().length === o.partitions, { timeoutMs: 30_000, what: 'the orchestrator to own its partitions' });
    // Warm-up: code paths compiled and per-partition structures allocated before the baseline.
    await startRuns(200);
    await until(() => orchestrator.runCount() === 200, { timeoutMs: 60_000, what: '200 warm-up runs' });
    const before = await settle();
    await startRuns(o.runs);
    await until(() => orchestrator.runCount() === 200 + o.runs, { timeoutMs: 120_000, everyMs: 50, what: `${o.runs} idle runs` });
    await sleep(200); // the last batch's commit settles
    const after = await settle();
    const running = orchestrator.getRun(`idle-${counter}`)?.status;
    const bytesPerRun = Math.round((after - before) / o.runs);
    process.stderr.write(`  memory: ${o.runs} idle runs (${running}) add ${(after - before) / 1024 / 1024 | 0} MiB heap: ${bytesPerRun} B per run\n`);
    return { bus: bus.transport.kind, runs: o.runs, heapBefore: before, heapAfter: after, bytesPerRun, lastRunStatus: running };
  } finally {
    await orchestrator.close().catch(() => undefined);
    await bus.cleanup();
  }
}
