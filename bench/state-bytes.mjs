#!/usr/bin/env node
/**
 * Bytes written to orch.state per step, and the largest record, for one fan-out run of 10 and one
 * of 100 steps whose inputs are 1 KB each, on the embedded bus. A measurement, not a test:
 *
 *   node bench/state-bytes.mjs [repo root to load the packages from, default this repo]
 *
 * A scripted worker answers every task (started, then completed with a small output); the
 * orchestrator batches inputs as it does in production. The orch.state log is read back whole
 * right after the run ends (nothing has been compacted yet), so every byte written is counted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { importBuilt } from './lib/worktree.mjs';

const root = resolve(process.argv[2] ?? new URL('..', import.meta.url).pathname);
const load = (pkg) => importBuilt(root, pkg);
const core = await load('core');
const { createEmbeddedTransport } = await load('transport');
const { startOrchestrator } = await load('orchestrator');

async function measure(width) {
  const dataDir = mkdtempSync(join(tmpdir(), 'state-bytes-'));
  const transport = createEmbeddedTransport({ dataDir });
  const prefix = `sb${width}.`;
  const names = core.topicNames(prefix);
  const orchestrator = await startOrchestrator({ transport, topicPrefix: prefix, partitions: 1 });
  await transport.ensureTopics([{ name: names.tasks('default'), partitions: 1 }]);
  let done;
  const finished = new Promise((r) => (done = r));
  const worker = await transport.subscribe({
    groupId: 'scripted-worker',
    topics: [names.tasks('default'), names.events],
    onBatch: async (records) => {
      const out = [];
      for (const r of records) {
        if (r.topic === names.events) {
          if (core.decodeEvent(r.value).type === 'RunSucceeded') done();
          continue;
        }
        const task = core.decodeDispatch(r.value);
        const base = { v: 1, runId: task.runId, stepId: task.stepId, attempt: task.attempt, workerId: 'worker-1', at: Date.now() };
        out.push(
          { topic: names.results, key: task.runId, value: core.encodeMessage({ ...base, type: 'TaskStarted' }) },
          { topic: names.results, key: task.runId, value: core.encodeMessage({ ...base, type: 'TaskCompleted', output: { ok: true, step: task.stepId } }) },
        );
      }
      if (out.length > 0) await transport.produce(out);
    },
  });
  const branches = Array.from({ length: width }, (_, i) => ({ id: `b${i}`, task: 'work', dependsOn: ['root'], input: { blob: '${input.blob}', i } }));
  const definition = { name: `fan-${width}`, steps: [{ id: 'root', task: 'work' }, ...branches, { id: 'join', task: 'work', dependsOn: branches.map((b) => b.id) }] };
  const runId = core.newRunId();
  const start = { v: 1, type: 'StartRun', runId, workflow: definition.name, version: 1, definition, input: { blob: 'x'.repeat(1024) }, at: Date.now() };
  await transport.produce([{ topic: names.commands, key: runId, value: core.encodeMessage(start) }]);
  await Promise.race([finished, new Promise((_, reject) => setTimeout(() => reject(new Error(`fan-out ${width} did not finish in 60 s`)), 60_000))]);
  await new Promise((r) => setTimeout(r, 200)); // the final commit lands
  let bytes = 0;
  let records = 0;
  let largest = 0;
  for await (const batch of transport.readPartition(names.state, 0)) {
    for (const r of batch) {
      const size = Buffer.byteLength(r.key) + (r.value?.length ?? 0);
      bytes += size;
      records += 1;
      largest = Math.max(largest, r.value?.length ?? 0);
    }
  }
  await worker.close();
  await orchestrator.close();
  await transport.close();
  rmSync(dataDir, { recursive: true, force: true });
  const steps = width + 2;
  return { width, steps, records, bytes, bytesPerStep: Math.round(bytes / steps), largestRecord: largest };
}

const results = [];
for (const width of [10, 100]) results.push(await measure(width));
console.log(JSON.stringify({ root, results }, null, 2));
for (const r of results) {
  process.stderr.write(`fan-out ${r.width}: ${r.records} records, ${r.bytes} B to orch.state, ${r.bytesPerStep} B per step, largest record ${r.largestRecord} B\n`);
}
