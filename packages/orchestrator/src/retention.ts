import { snapshotKeys } from '@orchestrator-lite/core';
import type { PartitionOwner } from './partition-owner.js';

/**
 * The tombstones that expire retained runs ended before `cutoff`: every key a run may have on
 * `orch.state` (header, input, steps, outputs; the step ids come from its definition), at most
 * `limit` runs at a time so that one sweep never holds the loop for long.
 *
 * Claim-checked payloads on `orch.payloads` are not tombstoned here. A payload is not owned by
 * one run: a rerun reuses the outputs (claim-checks included) of the run it reruns, and a parent
 * step's output is its child run's output, so the run that wrote a payload may expire while a
 * retained run still reads it. Nor does the few bytes kept per finished run list its refs.
 */
export function expiredRunWrites(owner: PartitionOwner, cutoff: number, limit: number): { runIds: string[]; records: { key: string }[] } {
  const runIds: string[] = [];
  const records: { key: string }[] = [];
  for (const [runId, entry] of owner.finished.entries()) {
    if (runIds.length >= limit) break;
    if (entry.at > cutoff) continue;
    runIds.push(runId);
    records.push({ key: snapshotKeys.input(runId) });
    for (const step of owner.definitions.get(entry.digest)?.steps ?? []) {
      records.push({ key: snapshotKeys.step(runId, step.id) }, { key: snapshotKeys.output(runId, step.id) });
    }
    records.push({ key: snapshotKeys.run(runId) });
  }
  return { runIds, records };
}
