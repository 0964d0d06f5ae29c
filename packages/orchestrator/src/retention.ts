import { claimChecksIn, snapshotKeys } from '@orchestrator-lite/core';
import type { PayloadStore, ProduceRecord, Transport } from '@orchestrator-lite/transport';
import type { PartitionOwner } from './partition-owner.js';
import { readRunValues } from './state-reader.js';

/**
 * The tombstones that expire retained runs ended before `cutoff`: every key a run may have on
 * `orch.state` (header, input, steps, outputs; the step ids come from its definition), or its
 * header's alone when that is all it has, at most `limit` runs at a time so that one sweep never
 * holds the loop for long.
 * Their payloads on `orch.payloads` are `expiredPayloadWrites`.
 */
export function expiredRunWrites(owner: PartitionOwner, cutoff: number, limit: number): { runIds: string[]; records: { key: string }[] } {
  const runIds: string[] = [];
  const records: { key: string }[] = [];
  for (const [runId, entry] of owner.finished.entries()) {
    if (runIds.length >= limit) break;
    if (entry.at > cutoff) continue;
    runIds.push(runId);
    if (!entry.headerOnly) {
      records.push({ key: snapshotKeys.input(runId) });
      for (const step of owner.definitions.get(entry.digest)?.steps ?? []) {
        records.push({ key: snapshotKeys.step(runId, step.id) }, { key: snapshotKeys.output(runId, step.id) });
      }
    }
    records.push({ key: snapshotKeys.run(runId) });
  }
  return { runIds, records };
}

/**
 * The tombstones of the payloads that expiring runs own. Only runs whose input or outputs hold a
 * claim-check are read back (one read of the partition for all of them); a payload is removed only
 * when its chunks name the run as their owner, so a claim-check a run merely carries (its parent's
 * input, a value a client passed) never takes another run's payload with it.
 */
export async function expiredPayloadWrites(owner: PartitionOwner, transport: Transport, stateTopic: string, store: PayloadStore, runIds: string[]): Promise<ProduceRecord[]> {
  const holding = new Set(runIds.filter((runId) => owner.finished.get(runId)?.payloads === true));
  if (holding.size === 0) return [];
  const records: ProduceRecord[] = [];
  const seen = new Set<string>();
  for (const [runId, values] of await readRunValues(transport, stateTopic, owner.partition, holding)) {
    for (const { $payload } of claimChecksIn(values)) {
      if (seen.has($payload.ref)) continue;
      seen.add($payload.ref);
      const info = await store.inspect($payload.ref);
      if (info?.owner === runId) records.push(...store.tombstones($payload.ref, info.chunks));
    }
  }
  return records;
}
