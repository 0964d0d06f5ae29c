/**
 * Orchestrator heap per idle active run, and per finished run. Only the orchestrator runs here (no
 * gateway read model, no worker), on the embedded bus. Runs are started by producing StartRun
 * commands. Idle runs: their one step is dispatched to a queue no worker serves, so every run stays
 * RUNNING and held in memory. Finished runs (on their own bus, Kafka when the bench has a broker:
 * the embedded bus keeps a tail of recent records in this heap): a scripted responder answers every
 * task (started, then completed), so the runs succeed and the orchestrator keeps only what it
 * retains of a finished run. heapUsed is compared after forced collections (this process runs with
 * --expose-gc).
 */
import { decodeDispatch, encodeMessage, parseDefinition, topicNames } from '@orchestrator-lite/core';
import { DEFAULT_SNAPSHOT_INTERVAL_MS, startOrchestrator } from '@orchestrator-lite/orchestrator';
import { openBus } from '../lib/bus.mjs';
import { sleep, until } from '../lib/stats.mjs';

/**
 * Snapshots are written in the background, at most one a partition every snapshot interval: one
 * can be on its way (its records encoded, in the client's buffers) for a while after the runs it
 * covers were applied. Two intervals later the last has landed, and a measurement holds what the
 * runs keep, not a write in flight (measured 200 ms after, the same code gave 1.5 KB and 11.9 KB
 * per idle run).
 */
const snapshotsLanded = () => sleep(2 * DEFAULT_SNAPSHOT_INTERVAL_MS);

let lastBuffers = 0;
const settle = async () => {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await sleep(50);
  }
  // Array buffers count too: the orchestrator packs its finished runs into a Buffer, outside the JS heap.
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  lastBuffers = arrayBuffers;
  return heapUsed + arrayBuffers;
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
  const finishedDefinition = parseDefinition({
    name: 'bench-finished',
    steps: [{ id: 'only', task: 'bench.answered', queue: 'answered', input: { customer: '${input.customer}', amount: '${input.amount}' } }],
  });
  let counter = 0;
  const startRuns = async (n, prefix = 'idle', def = definition) => {
    for (let done = 0; done < n; done += 500) {
      const records = [];
      for (let i = 0; i < Math.min(500, n - done); i++) {
        const runId = `${prefix}-${++counter}`;
        const command = { v: 1, type: 'StartRun', runId, workflow: def.name, version: 1, definition: def, input: { customer: `c-${counter}`, amount: counter }, at: Date.now() };
        records.push({ topic: names.commands, key: runId, value: encodeMessage(command) });
      }
      await bus.transport.produce(records);
    }
  };
  let idle;
  const orchestrator = await startOrchestrator({ transport: bus.transport, topicPrefix: bus.prefix, partitions: o.partitions });
  try {
    await until(() => orchestrator.ownedPartitions().length === o.partitions, { timeoutMs: 30_000, what: 'the orchestrator to own its partitions' });
    // Warm-up: code paths compiled and per-partition structures allocated before the baseline.
    await startRuns(200);
    await until(() => orchestrator.runCount() === 200, { timeoutMs: 60_000, what: '200 warm-up runs' });
    await snapshotsLanded();
    const before = await settle();
    await startRuns(o.runs);
    await until(() => orchestrator.runCount() === 200 + o.runs, { timeoutMs: 120_000, everyMs: 50, what: `${o.runs} idle runs` });
    await snapshotsLanded();
    const after = await settle();
    const running = orchestrator.getRun(`idle-${counter}`)?.status;
    const bytesPerRun = Math.round((after - before) / o.runs);
    process.stderr.write(`  memory: ${o.runs} idle runs (${running}) add ${(after - before) / 1024 / 1024 | 0} MiB of heap and array buffers: ${bytesPerRun} B per run\n`);
    idle = { bus: bus.transport.kind, runs: o.runs, heapBefore: before, heapAfter: after, bytesPerRun, lastRunStatus: running };
  } finally {
    await orchestrator.close().catch(() => undefined);
    await bus.cleanup();
  }
  const finished = await finishedRuns(o, finishedDefinition);
  return { ...idle, finished };
}

/** A run id of the length of a real one (a UUID), made again from its number rather than kept. */
const finishedRunId = (n) => `01900000-0000-7000-8000-${String(n).padStart(12, '0')}`;

/**
 * Heap per finished run: runs of one step on a queue the scripted responder answers; a batch is
 * done when the orchestrator reports every run of it SUCCEEDED and holds none of them whole.
 */
async function finishedRuns(o, finishedDefinition) {
  const bus = openBus(o.bus ?? 'embedded', 'memory-finished');
  const names = topicNames(bus.prefix);
  let counter = 0;
  const startRuns = async (n) => {
    for (let done = 0; done < n; done += 500) {
      const records = [];
      for (let i = 0; i < Math.min(500, n - done); i++) {
        const runId = finishedRunId(++counter);
        const command = { v: 1, type: 'StartRun', runId, workflow: finishedDefinition.name, version: 1, definition: finishedDefinition, input: { customer: `c-${counter}`, amount: counter }, at: Date.now() };
        records.push({ topic: names.commands, key: runId, value: encodeMessage(command) });
      }
      await bus.transport.produce(records);
    }
  };
  const lastCounter = () => counter;
  const responder = { current: undefined };
  const orchestrator = await startOrchestrator({ transport: bus.transport, topicPrefix: bus.prefix, partitions: o.partitions });
  try {
    await until(() => orchestrator.ownedPartitions().length === o.partitions, { timeoutMs: 30_000, what: 'the orchestrator to own its partitions' });
    return await measureFinished(o, bus, names, orchestrator, responder, startRuns, lastCounter);
  } finally {
    await responder.current?.close().catch(() => undefined);
    await orchestrator.close().catch(() => undefined);
    await bus.cleanup();
  }
}

async function measureFinished(o, bus, names, orchestrator, responder, startRuns, lastCounter) {
  const queueTopic = names.tasks('answered');
  await bus.transport.ensureTopics([{ name: queueTopic, partitions: o.partitions }]);
  responder.current = await bus.transport.subscribe({
    groupId: `${bus.prefix}responder`,
    topics: [queueTopic],
    onBatch: async (records) => {
      const out = [];
      for (const r of records) {
        const task = decodeDispatch(r.value);
        const base = { v: 1, runId: task.runId, stepId: task.stepId, attempt: task.attempt, workerId: 'bench-responder', at: Date.now() };
        out.push(
          { topic: names.results, key: task.runId, value: encodeMessage({ ...base, type: 'TaskStarted' }) },
          { topic: names.results, key: task.runId, value: encodeMessage({ ...base, type: 'TaskCompleted', output: { ok: true } }) },
        );
      }
      if (out.length > 0) await bus.transport.produce(out);
    },
  });
  const finishRuns = async (n) => {
    const first = lastCounter() + 1;
    await startRuns(n);
    const last = lastCounter();
    await until(() => orchestrator.runStatus(finishedRunId(last)) === 'SUCCEEDED', { timeoutMs: 120_000, everyMs: 50, what: `run ${finishedRunId(last)} to succeed` });
    // Every run of the batch ended, not only the last one started.
    await until(
      () => {
        for (let i = first; i <= last; i++) if (orchestrator.runStatus(finishedRunId(i)) !== 'SUCCEEDED') return false;
        return true;
      },
      { timeoutMs: 120_000, everyMs: 200, what: `${n} runs to succeed` },
    );
  };
  await finishRuns(200); // warm-up: the finished-run paths compiled before the baseline
  // An ended run leaves memory once its final snapshot lands: on Kafka up to `snapshotIntervalMs` later.
  await until(() => orchestrator.heldRunCount() === 0, { timeoutMs: 30_000, what: 'the warm-up runs to leave memory' });
  await sleep(200);
  const before = await settle();
  const buffersBefore = lastBuffers;
  const runs = o.finishedRuns ?? o.runs;
  const held = orchestrator.heldRunCount();
  await finishRuns(runs);
  await until(() => orchestrator.heldRunCount() === held, { timeoutMs: 30_000, what: 'the finished runs to leave memory' });
  await sleep(200); // the final snapshots' commit settles
  const after = await settle();
  const bytesPerRun = Math.round((after - before) / runs);
  process.stderr.write(`  memory: ${runs} finished runs add ${((after - before) / 1024 / 1024).toFixed(1)} MiB of heap and array buffers (${((lastBuffers - buffersBefore) / 1024 / 1024).toFixed(1)} MiB of them buffers): ${bytesPerRun} B per run\n`);
  return { bus: bus.transport.kind, runs, retained: orchestrator.runCount() - held, heapBefore: before, heapAfter: after, bytesPerRun };
}
