import { decodeSnapshot, parseSnapshotKey, restoreRun, snapshotKeys, TERMINAL_RUN_STATUSES } from '@orchestrator-lite/core';
import type { GateState, RunHeader, RunParts, RunState, RunStatus, SnapshotRecord } from '@orchestrator-lite/core';
import type { ConsumedRecord, Transport } from '@orchestrator-lite/transport';
import type { DefinitionPool } from './definition-pool.js';

/** What a partition keeps of a run that has ended: enough to retry it (reloaded on demand) and to expire it. */
export interface FinishedRun {
  status: RunStatus;
  /** When it ended, epoch ms. */
  at: number;
  digest: string;
}

export interface PartitionContents {
  runs: Map<string, RunState>;
  finished: Map<string, FinishedRun>;
  /** Digests whose definition record is in this partition. */
  digests: Set<string>;
  /** The concurrency gates that hold or queue runs, by gate id. */
  gates: Map<string, GateState>;
  /** Records read. */
  read: number;
  /** Runs with a header whose definition is missing: left out. */
  orphans: string[];
}

interface Pending {
  header?: RunHeader;
  steps: RunParts['steps'];
  outputs: RunParts['outputs'];
  input?: RunParts['input'];
  /** Parts written before the run ended were let go: a later reopen needs a reload. */
  dropped?: boolean;
}

const GATE_KEY_PREFIX = snapshotKeys.gate('');
const DEFINITION_KEY_PREFIX = snapshotKeys.definition('');

function stateVersionOf(record: SnapshotRecord): number {
  return 'stateVersion' in record && typeof record.stateVersion === 'number' ? record.stateVersion : 0;
}

/**
 * Partition restore: folds the compacted changelog of p into the runs in flight (held whole)
 * and the runs that ended (kept as a FinishedRun). Parts of a run that ended are let go as soon
 * as its final header is read, so memory follows the live runs, not the partition's history.
 * Compaction is lazy on Kafka, so a key may be read several times: the latest wins unless an
 * earlier one has a higher stateVersion (a late write of a stale owner never rolls a run back).
 */
export async function readPartitionState(
  transport: Transport,
  stateTopic: string,
  partition: number,
  definitions: DefinitionPool,
): Promise<PartitionContents> {
  const pending = new Map<string, Pending>();
  const digests = new Set<string>();
  const gates = new Map<string, GateState>();
  let read = 0;
  const partsOf = (runId: string): Pending => {
    let p = pending.get(runId);
    if (!p) pending.set(runId, (p = { steps: new Map(), outputs: new Map() }));
    return p;
  };
  const apply = (record: ConsumedRecord): void => {
    if (record.value === null) return forget(record.key);
    let value: SnapshotRecord;
    try {
      value = decodeSnapshot(record.value);
    } catch {
      return; // a record this version cannot read is not ours to act on
    }
    if (value.kind === 'definition') {
      definitions.add(value.digest, value.definition);
      digests.add(value.digest);
      return;
    }
    if (value.kind === 'gate') {
      const current = gates.get(value.id);
      if (current && (current.stateVersion ?? 0) > (value.stateVersion ?? 0)) return;
      const { kind: _k, ...gate } = value;
      gates.set(value.id, gate);
      return;
    }
    const { runId, stepId } = parseSnapshotKey(record.key, value.kind);
    const p = partsOf(runId);
    if (value.kind === 'run') {
      if (p.header && stateVersionOf(p.header) > stateVersionOf(value)) return;
      if (value.steps !== undefined && TERMINAL_RUN_STATUSES.has(value.status)) {
        // Ended: the header holds every step. Let the other parts go until a reopen needs them.
        p.steps = new Map();
        p.outputs = new Map();
        delete p.input;
        p.dropped = true;
      }
      p.header = value;
    } else if (value.kind === 'step' && stepId !== undefined) {
      const current = p.steps?.get(stepId);
      if (current && stateVersionOf(current) > stateVersionOf(value)) return;
      p.steps?.set(stepId, value);
    } else if (value.kind === 'output' && stepId !== undefined) {
      p.outputs?.set(stepId, value);
    } else if (value.kind === 'input') {
      p.input = value;
    }
  };
  const forget = (key: string): void => {
    if (key.startsWith(DEFINITION_KEY_PREFIX)) return;
    if (key.startsWith(GATE_KEY_PREFIX)) {
      gates.delete(key.slice(GATE_KEY_PREFIX.length));
      return;
    }
    for (const kind of ['step', 'output'] as const) {
      if (key.includes(`/${kind}/`)) {
        const { runId, stepId } = parseSnapshotKey(key, kind);
        pending.get(runId)?.[kind === 'step' ? 'steps' : 'outputs']?.delete(stepId!);
        return;
      }
    }
    if (key.endsWith('/input')) {
      const p = pending.get(parseSnapshotKey(key, 'input').runId);
      if (p) delete p.input;
      return;
    }
    pending.delete(key); // the header's tombstone: the run expired
  };
  for await (const batch of transport.readPartition(stateTopic, partition)) {
    for (const record of batch) {
      read += 1;
      apply(record);
    }
  }

  const contents: PartitionContents = { runs: new Map(), finished: new Map(), digests, gates, read, orphans: [] };
  const reload: string[] = [];
  // Every header decodes its own copy of its digest (64 characters): the finished runs of one definition share one.
  const shared = new Map<string, string>();
  const digestOf = (digest: string): string => {
    const known = shared.get(digest);
    if (known !== undefined) return known;
    shared.set(digest, digest);
    return digest;
  };
  for (const [runId, p] of pending) {
    const h = p.header;
    if (!h) continue;
    if (h.steps !== undefined && TERMINAL_RUN_STATUSES.has(h.status)) {
      contents.finished.set(runId, { status: h.status, at: h.updatedAt, digest: digestOf(h.digest) });
      continue;
    }
    if (p.dropped) {
      reload.push(runId); // reopened after it ended: its input and outputs were let go
      continue;
    }
    const definition = definitions.get(h.digest);
    if (!definition) {
      contents.orphans.push(runId);
      continue;
    }
    contents.runs.set(runId, restoreRun({ header: h, ...p }, definition));
  }
  for (const runId of reload) {
    const one = await readRun(transport, stateTopic, partition, definitions, runId);
    if (one) contents.runs.set(runId, one);
  }
  return contents;
}

/**
 * One run, read back whole from the partition (a retry of a run that has ended). It reads the
 * partition's compacted log, keeping only that run's parts: a rare path, paid per retry.
 */
export async function readRun(transport: Transport, stateTopic: string, partition: number, definitions: DefinitionPool, runId: string): Promise<RunState | undefined> {
  const parts: Pending = { steps: new Map(), outputs: new Map() };
  for await (const batch of transport.readPartition(stateTopic, partition)) {
    for (const record of batch) {
      if (record.key.startsWith(DEFINITION_KEY_PREFIX) && record.value !== null) {
        try {
          const value = decodeSnapshot(record.value);
          if (value.kind === 'definition') definitions.add(value.digest, value.definition);
        } catch {
          // unreadable: skipped, like any record of another version
        }
      } else if (record.key === runId || record.key.startsWith(`${runId}/`)) {
        foldOne(parts, record);
      }
    }
  }
  const h = parts.header;
  const definition = h ? definitions.get(h.digest) : undefined;
  return h && definition ? restoreRun({ header: h, ...parts }, definition) : undefined;
}

/** Folds one record of a single run (its latest parts, with the embedded steps of an ended header). */
function foldOne(p: Pending, record: ConsumedRecord): void {
  if (record.value === null) {
    if (record.key.includes('/step/')) p.steps?.delete(parseSnapshotKey(record.key, 'step').stepId!);
    else if (record.key.includes('/output/')) p.outputs?.delete(parseSnapshotKey(record.key, 'output').stepId!);
    else if (record.key.endsWith('/input')) delete p.input;
    else delete p.header;
    return;
  }
  let value: SnapshotRecord;
  try {
    value = decodeSnapshot(record.value);
  } catch {
    return;
  }
  if (value.kind === 'run') {
    if (p.header && stateVersionOf(p.header) > stateVersionOf(value)) return;
    p.header = value;
  } else if (value.kind === 'step') {
    const stepId = parseSnapshotKey(record.key, 'step').stepId!;
    const current = p.steps?.get(stepId);
    if (!current || stateVersionOf(current) <= stateVersionOf(value)) p.steps?.set(stepId, value);
  } else if (value.kind === 'output') {
    p.outputs?.set(parseSnapshotKey(record.key, 'output').stepId!, value);
  } else if (value.kind === 'input') {
    p.input = value;
  }
}
