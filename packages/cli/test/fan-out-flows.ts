/**
 * Twenty fan-outs of a hundred at once, driven over REST: every run must succeed, and what the
 * orchestrator wrote to orch.state must stay control state (DESIGN §10): no record over 32 KB and
 * at most 1 KB per step on average, however wide the runs and however many are in flight.
 */
import assert from 'node:assert/strict';
import { topicNames } from '@orchestrator-lite/core';
import type { RunView, WorkflowDefinition } from '@orchestrator-lite/core';
import type { Engine } from './language-engine.js';

export const RUNS = 20;
export const WIDTH = 100;
export const MAX_STATE_RECORD_BYTES = 32 * 1024;
export const MAX_STATE_BYTES_PER_STEP = 1024;

/** One step, WIDTH parallel steps each with a ~1 KB input (templated from the run input, plus a literal), and a join. */
export function fanOutDefinition(name: string): WorkflowDefinition {
  const branches = Array.from({ length: WIDTH }, (_, i) => ({
    id: `b${i}`,
    task: 'lang.echo',
    dependsOn: ['root'],
    input: { blob: '${input.blob}', note: `branch ${i} `.padEnd(64, '.'), i },
  }));
  return {
    name,
    steps: [{ id: 'root', task: 'lang.echo', input: { blob: '${input.blob}' } }, ...branches, { id: 'join', task: 'lang.echo', dependsOn: branches.map((b) => b.id), input: { joined: true } }],
  };
}

export interface StateBytes {
  records: number;
  bytes: number;
  largestRecord: number;
}

/** Every record on orch.state, read back from the start of each partition to its current end. */
export async function readStateBytes(e: Engine): Promise<StateBytes> {
  const topic = topicNames(e.topicPrefix).state;
  const ends = await e.transport.endOffsets(topic);
  const out: StateBytes = { records: 0, bytes: 0, largestRecord: 0 };
  for (let partition = 0; partition < ends.length; partition += 1) {
    const end = ends[partition] ?? 0;
    if (end === 0) continue;
    for await (const batch of e.transport.readPartition(topic, partition, { to: end })) {
      for (const r of batch) {
        const size = Buffer.byteLength(r.key) + (r.value?.length ?? 0);
        out.records += 1;
        out.bytes += size;
        out.largestRecord = Math.max(out.largestRecord, size);
      }
    }
  }
  return out;
}

/** Starts RUNS runs at once, waits (bounded) for all to end, and checks their outcome and the state bytes. */
export async function fanOutFlow(e: Engine, timeoutMs: number): Promise<{ elapsedMs: number; state: StateBytes; bytesPerStep: number }> {
  const name = 'load.fanout';
  await e.register(fanOutDefinition(name));
  const input = { blob: 'x'.repeat(1000) };
  const began = Date.now();
  const runIds = await Promise.all(Array.from({ length: RUNS }, () => e.start(name, input)));
  assert.equal(new Set(runIds).size, RUNS);

  const ended = new Map<string, RunView>();
  const deadline = began + timeoutMs;
  while (ended.size < RUNS) {
    for (const runId of runIds) {
      if (ended.has(runId)) continue;
      const r = await e.call('GET', `/api/v1/runs/${runId}`);
      const view = r.body as RunView | undefined;
      if (r.status === 200 && view && (view.status === 'SUCCEEDED' || view.status === 'FAILED' || view.status === 'CANCELLED')) ended.set(runId, view);
    }
    if (ended.size === RUNS) break;
    if (Date.now() > deadline) {
      const open = runIds.filter((id) => !ended.has(id));
      const where = await Promise.all(
        open.slice(0, 3).map(async (id) => {
          const view = (await e.call('GET', `/api/v1/runs/${id}`)).body as RunView | undefined;
          const counts: Record<string, number> = {};
          for (const step of Object.values(view?.steps ?? {})) counts[step.status] = (counts[step.status] ?? 0) + 1;
          return `${id} ${view?.status ?? '?'} ${JSON.stringify(counts)}`;
        }),
      );
      throw new Error(`${open.length} of ${RUNS} fan-out runs did not end within ${timeoutMs} ms: ${where.join('; ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const elapsedMs = Date.now() - began;
  for (const [runId, view] of ended) {
    assert.equal(view.status, 'SUCCEEDED', `run ${runId}: ${JSON.stringify(view.error)}`);
    assert.equal(Object.keys(view.steps).length, WIDTH + 2, `run ${runId} has every step`);
    for (const [stepId, step] of Object.entries(view.steps)) assert.equal(step.status, 'SUCCEEDED', `run ${runId} step ${stepId}`);
  }
  assert.equal((e.ran['lang.echo'] ?? []).length >= RUNS * (WIDTH + 2), true, 'every step ran');

  // The final snapshots of the last runs are written after their RunSucceeded; give them a moment.
  let state = await readStateBytes(e);
  for (let i = 0; i < 20; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await readStateBytes(e);
    if (again.records === state.records) break;
    state = again;
  }
  const steps = RUNS * (WIDTH + 2);
  const bytesPerStep = state.bytes / steps;
  assert.ok(state.records > 0, 'the orchestrator wrote orch.state');
  assert.ok(state.largestRecord <= MAX_STATE_RECORD_BYTES, `largest orch.state record ${state.largestRecord} B > ${MAX_STATE_RECORD_BYTES} B`);
  assert.ok(bytesPerStep <= MAX_STATE_BYTES_PER_STEP, `${Math.round(bytesPerStep)} B written to orch.state per step > ${MAX_STATE_BYTES_PER_STEP} B (${state.bytes} B in ${state.records} records for ${steps} steps)`);
  return { elapsedMs, state, bytesPerStep };
}
