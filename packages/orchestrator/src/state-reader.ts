import { decodeSnapshot, parseSnapshotKey, restoreRun, snapshotKeys, TERMINAL_RUN_STATUSES } from '@orchestrator-lite/core';
import type { GateState, InputStretch, RunHeader, RunParts, RunState, SnapshotRecord } from '@orchestrator-lite/core';
import type { ConsumedRecord, Transport } from '@orchestrator-lite/transport';
import type { DefinitionPool } from './definition-pool.js';
import { FinishedRuns } from './finished-runs.js';
import { stretchesOf } from './input-order.js';

export interface PartitionContents {
  runs: Map<string, RunState>;
  finished: FinishedRuns;
  /** Digests whose definition record is in this partition. */
  digests: Set<string>;
  /** The concurrency gates that hold or queue runs, by gate id. */
  gates: Map<string, GateState>;
  /** Records read. */
  read: number;
  /** Runs with a header whose definition is missing: left out. */
  orphans: string[];
  /** The order in which the last owner applied the inputs since its last landed snapshot (Kafka). */
  order: InputStretch[];
}

interface Pending {
  header?: RunHeader;
  steps: RunParts['steps'];
  outputs: RunParts['outputs'];
  input?: RunParts['input'];
  /** Parts written before the run ended were let go: a later reopen needs a reload. */
  dropped?: boolean;
}

/** A run's parts as the restore reads them: its input and outputs stay undecoded until the run proves to be in flight. */
interface Gathered {
  header?: RunHeader;
  steps: NonNullable<RunParts['steps']>;
  outputs: Map<string, Buffer>;
  input?: Buffer;
  /** A part read holds a claim-check. */
  payloads: boolean;
  /** A part other than the header was read (an input, an output, a step): expiring the run takes more than its header's tombstone. */
  parts?: boolean;
  /** Parts written before the run ended were let go: a later reopen needs a reload. */
  dropped?: boolean;
}

/** How a claim-check starts in a record's JSON. */
const CLAIM_CHECK = Buffer.from('"$payload":');

const GATE_KEY_PREFIX = snapshotKeys.gate('');
const DEFINITION_KEY_PREFIX = snapshotKeys.definition('');
const ORDER_KEY_PREFIX = snapshotKeys.order(0).slice(0, -1);

function stateVersionOf(record: SnapshotRecord): number {
  return 'stateVersion' in record && typeof record.stateVersion === 'number' ? record.stateVersion : 0;
}

/**
 * Partition restore: folds the compacted changelog of p into the runs in flight (held whole)
 * and the runs that ended (a few bytes each in a FinishedRuns). Inputs and outputs are kept as
 * read and decoded only for runs still in flight; the parts of a run that ended are let go as
 * soon as its final header is read, so memory follows the live runs, not the partition's history.
 * Compaction is lazy on Kafka, so a key may be read several times: the latest wins unless an
 * earlier one has a higher stateVersion (a late write of a stale owner never rolls a run back).
 */
export async function readPartitionState(
  transport: Transport,
  stateTopic: string,
  partition: number,
  definitions: DefinitionPool,
): Promise<PartitionContents> {
  const gathered = new Map<string, Gathered>();
  const contents: PartitionContents = { runs: new Map(), finished: new FinishedRuns(), digests: new Set(), gates: new Map(), read: 0, orphans: [], order: [] };
  for await (const batch of transport.readPartition(stateTopic, partition)) {
    for (const record of batch) {
      contents.read += 1;
      if (record.value === null) forgetPart(gathered, contents, record.key);
      else gatherPart(gathered, contents, definitions, record.key, record.value);
    }
  }
  const reload: string[] = [];
  for (const [runId, g] of gathered) {
    const h = g.header;
    if (!h) continue;
    if (h.steps !== undefined && TERMINAL_RUN_STATUSES.has(h.status)) {
      contents.finished.set(runId, { status: h.status, at: h.updatedAt, digest: h.digest, payloads: g.payloads, headerOnly: g.parts !== true });
      continue;
    }
    if (g.dropped) {
      reload.push(runId); // reopened after it ended: its input and outputs were let go
      continue;
    }
    const definition = definitions.get(h.digest);
    if (!definition) {
      contents.orphans.push(runId);
      continue;
    }
    contents.runs.set(runId, restoreRun({ header: h, steps: g.steps, ...decodeParts(g) }, definition));
  }
  for (const runId of reload) {
    const one = await readRun(transport, stateTopic, partition, definitions, runId);
    if (one) contents.runs.set(runId, one);
  }
  return contents;
}

type PartKind = 'step' | 'output' | 'input' | 'run';

/** What a key of `orch.state` holds, from the key alone. */
function partKindOf(key: string): PartKind {
  if (key.includes('/step/')) return 'step';
  if (key.includes('/output/')) return 'output';
  if (key.endsWith('/input')) return 'input';
  return 'run';
}

function gatheredOf(gathered: Map<string, Gathered>, runId: string): Gathered {
  let g = gathered.get(runId);
  if (!g) gathered.set(runId, (g = { steps: new Map(), outputs: new Map(), payloads: false }));
  return g;
}

/** One live record of the restore: definitions and gates apply at once, a run's parts are gathered. */
function gatherPart(gathered: Map<string, Gathered>, contents: PartitionContents, definitions: DefinitionPool, key: string, value: Buffer): void {
  if (key.startsWith(DEFINITION_KEY_PREFIX) || key.startsWith(GATE_KEY_PREFIX) || key.startsWith(ORDER_KEY_PREFIX)) return applyShared(contents, definitions, value);
  const kind = partKindOf(key);
  if (kind === 'input' || kind === 'output') {
    const { runId, stepId } = parseSnapshotKey(key, kind);
    const g = gatheredOf(gathered, runId);
    g.parts = true;
    if (value.includes(CLAIM_CHECK)) g.payloads = true;
    if (kind === 'input') g.input = value;
    else g.outputs.set(stepId!, value);
    return;
  }
  const decoded = tryDecode(value);
  if (decoded === undefined) return; // a record this version cannot read is not ours to act on
  const { runId, stepId } = parseSnapshotKey(key, kind);
  const g = gatheredOf(gathered, runId);
  if (decoded.kind === 'run') {
    if (g.header && stateVersionOf(g.header) > stateVersionOf(decoded)) return;
    if (decoded.values !== undefined && value.includes(CLAIM_CHECK)) g.payloads = true;
    if (decoded.steps !== undefined && TERMINAL_RUN_STATUSES.has(decoded.status)) {
      // Ended: the header holds every step. Let the other parts go until a reopen needs them.
      g.steps = new Map();
      g.outputs = new Map();
      delete g.input;
      g.dropped = true;
    }
    g.header = decoded;
  } else if (decoded.kind === 'step' && stepId !== undefined) {
    g.parts = true;
    const current = g.steps.get(stepId);
    if (current && stateVersionOf(current) > stateVersionOf(decoded)) return;
    g.steps.set(stepId, decoded);
  }
}

/** A definition, a gate or the order record. */
function applyShared(contents: PartitionContents, definitions: DefinitionPool, value: Buffer): void {
  const decoded = tryDecode(value);
  if (decoded?.kind === 'definition') {
    definitions.add(decoded.digest, decoded.definition);
    contents.digests.add(decoded.digest);
  } else if (decoded?.kind === 'gate') {
    const current = contents.gates.get(decoded.id);
    if (current && (current.stateVersion ?? 0) > (decoded.stateVersion ?? 0)) return;
    const { kind: _k, ...gate } = decoded;
    contents.gates.set(decoded.id, gate);
  } else if (decoded?.kind === 'order') {
    contents.order = stretchesOf(decoded);
  }
}

/** A tombstone read by the restore. */
function forgetPart(gathered: Map<string, Gathered>, contents: PartitionContents, key: string): void {
  if (key.startsWith(DEFINITION_KEY_PREFIX)) return;
  if (key.startsWith(ORDER_KEY_PREFIX)) {
    contents.order = [];
    return;
  }
  if (key.startsWith(GATE_KEY_PREFIX)) {
    contents.gates.delete(key.slice(GATE_KEY_PREFIX.length));
    return;
  }
  const kind = partKindOf(key);
  const { runId, stepId } = parseSnapshotKey(key, kind);
  if (kind === 'run') gathered.delete(runId); // the header's tombstone: the run expired
  const g = gathered.get(runId);
  if (!g) return;
  if (kind === 'step') g.steps.delete(stepId!);
  else if (kind === 'output') g.outputs.delete(stepId!);
  else if (kind === 'input') delete g.input;
}

/** The input and outputs of a run in flight, decoded. */
function decodeParts(g: Gathered): Pick<RunParts, 'input' | 'outputs'> {
  const outputs: NonNullable<RunParts['outputs']> = new Map();
  for (const [stepId, raw] of g.outputs) {
    const decoded = tryDecode(raw);
    if (decoded?.kind === 'output') outputs.set(stepId, decoded);
  }
  const input = g.input === undefined ? undefined : tryDecode(g.input);
  return input?.kind === 'input' ? { input, outputs } : { outputs };
}

function tryDecode(value: Buffer): SnapshotRecord | undefined {
  try {
    return decodeSnapshot(value);
  } catch {
    return undefined;
  }
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
        const value = tryDecode(record.value); // unreadable: skipped, like any record of another version
        if (value?.kind === 'definition') definitions.add(value.digest, value.definition);
      } else if (record.key === runId || record.key.startsWith(`${runId}/`)) {
        foldOne(parts, record);
      }
    }
  }
  const h = parts.header;
  const definition = h ? definitions.get(h.digest) : undefined;
  return h && definition ? restoreRun({ header: h, ...parts }, definition) : undefined;
}

/**
 * The inputs and outputs of some runs of the partition, as their latest records hold them (the
 * payloads an expiry tombstones are found in them). One read of the partition for all of them.
 */
export async function readRunValues(transport: Transport, stateTopic: string, partition: number, runIds: ReadonlySet<string>): Promise<Map<string, unknown[]>> {
  const latest = new Map<string, { runId: string; value: Buffer | null }>();
  for await (const batch of transport.readPartition(stateTopic, partition)) {
    for (const record of batch) {
      const kind = partKindOf(record.key);
      if (kind === 'step') continue;
      const { runId } = parseSnapshotKey(record.key, kind);
      if (runIds.has(runId)) latest.set(record.key, { runId, value: record.value });
    }
  }
  const values = new Map<string, unknown[]>();
  for (const { runId, value } of latest.values()) {
    const list = values.get(runId) ?? [];
    list.push(...valuesIn(value === null ? undefined : tryDecode(value)));
    if (list.length > 0) values.set(runId, list);
  }
  return values;
}

/** The inputs and outputs a record of a run holds: an input's or an output's, or those an ended header holds. */
function valuesIn(record: SnapshotRecord | undefined): unknown[] {
  if (record?.kind === 'input') return record.input === undefined ? [] : [record.input];
  if (record?.kind === 'output') return record.output === undefined ? [] : [record.output];
  if (record?.kind !== 'run' || record.values === undefined) return [];
  const { input, outputs } = record.values;
  return [...(input === undefined ? [] : [input]), ...Object.values(outputs ?? {})];
}

/** A tombstone: the part it names is gone. */
function dropPart(p: Pending, kind: ReturnType<typeof partKindOf>, stepId: string | undefined): void {
  if (kind === 'step') p.steps?.delete(stepId!);
  else if (kind === 'output') p.outputs?.delete(stepId!);
  else if (kind === 'input') delete p.input;
  else delete p.header;
}

/** A part's record: the header and step records keep their latest state version, the rest the last written. */
function takePart(p: Pending, value: SnapshotRecord | undefined, stepId: string | undefined): void {
  if (value?.kind === 'run') {
    if (p.header && stateVersionOf(p.header) > stateVersionOf(value)) return;
    p.header = value;
  } else if (value?.kind === 'step') {
    const current = p.steps?.get(stepId!);
    if (!current || stateVersionOf(current) <= stateVersionOf(value)) p.steps?.set(stepId!, value);
  } else if (value?.kind === 'output') {
    p.outputs?.set(stepId!, value);
  } else if (value?.kind === 'input') {
    p.input = value;
  }
}

/** Folds one record of a single run (its latest parts, with the embedded steps of an ended header). */
function foldOne(p: Pending, record: ConsumedRecord): void {
  const kind = partKindOf(record.key);
  const { stepId } = parseSnapshotKey(record.key, kind);
  if (record.value === null) dropPart(p, kind, stepId);
  else takePart(p, tryDecode(record.value), stepId);
}
