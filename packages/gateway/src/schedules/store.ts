/**
 * The schedules as this gateway knows them: a projection of the compacted `schedules` topic.
 *
 * Per schedule name the topic holds up to three keys, all in the partition of the name, so the
 * process that owns that partition sees everything about the schedule:
 * - `<name>`: the spec (written by PUT, tombstoned by DELETE);
 * - `<name>#fired`: the firing state, written only by the partition's owner after each firing;
 * - `<name>#manual`: the recent manual triggers, written by the gateway that took the trigger.
 */
import { z } from 'zod';
import { CATCHUP_POLICIES, OVERLAP_POLICIES, encodeMessage, errorMessage } from '@orchestrator-lite/core';
import { partitionFor } from '@orchestrator-lite/transport';
import type { ConsumedRecord, ProduceRecord } from '@orchestrator-lite/transport';
import { RECENT_FIRINGS } from './spec.js';
import type { Firing, FiringState, ScheduleSpec } from './spec.js';

const FiringSchema = z.object({
  fireAt: z.number(),
  runId: z.string().optional(),
  skipped: z.string().optional(),
  manual: z.boolean().optional(),
});
const SpecRecord = z.object({
  v: z.literal(1),
  kind: z.literal('spec'),
  name: z.string(),
  workflow: z.string(),
  version: z.number().int().optional(),
  cron: z.string(),
  timezone: z.string(),
  input: z.unknown().optional(),
  overlap: z.enum(OVERLAP_POLICIES),
  catchup: z.enum(CATCHUP_POLICIES),
  paused: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
const FiredRecord = z.object({ v: z.literal(1), kind: z.literal('fired'), name: z.string(), lastFireAt: z.number(), recent: z.array(FiringSchema) });
const ManualRecord = z.object({ v: z.literal(1), kind: z.literal('manual'), name: z.string(), recent: z.array(FiringSchema) });
const StoredRecord = z.discriminatedUnion('kind', [SpecRecord, FiredRecord, ManualRecord]);

const FIRED = '#fired';
const MANUAL = '#manual';

function nameOf(key: string): string {
  return key.endsWith(FIRED) ? key.slice(0, -FIRED.length) : key.endsWith(MANUAL) ? key.slice(0, -MANUAL.length) : key;
}

export class ScheduleStore {
  private readonly specs = new Map<string, ScheduleSpec>();
  private readonly fired = new Map<string, FiringState>();
  private readonly manual = new Map<string, Firing[]>();
  /** Per partition: the next offset to apply. */
  private readonly positions: number[];

  constructor(
    readonly topic: string,
    readonly partitions: number,
    private readonly onBadRecord: (record: ConsumedRecord, reason: string) => void = () => undefined,
  ) {
    this.positions = new Array<number>(partitions).fill(0);
  }

  partitionOf(name: string): number {
    return partitionFor(name, this.partitions);
  }

  /** Applies a record of the topic; records at or before the applied position change nothing. */
  apply(record: ConsumedRecord): void {
    if (record.offset < (this.positions[record.partition] ?? 0)) return;
    this.positions[record.partition] = record.offset + 1;
    const name = nameOf(record.key);
    if (record.value === null) {
      if (record.key.endsWith(FIRED)) this.fired.delete(name);
      else if (record.key.endsWith(MANUAL)) this.manual.delete(name);
      else this.specs.delete(name);
      return;
    }
    let parsed: z.infer<typeof StoredRecord>;
    try {
      parsed = StoredRecord.parse(JSON.parse(record.value.toString('utf8')));
    } catch (error) {
      this.onBadRecord(record, errorMessage(error));
      return;
    }
    if (parsed.kind === 'spec') {
      const { v: _v, kind: _kind, ...spec } = parsed;
      this.specs.set(name, { ...spec, input: spec.input ?? {} });
    } else if (parsed.kind === 'fired') {
      // Firing state only moves forward: a local write may be ahead of the records still arriving.
      if (parsed.lastFireAt >= (this.fired.get(name)?.lastFireAt ?? -Infinity)) this.fired.set(name, { name, lastFireAt: parsed.lastFireAt, recent: parsed.recent });
    }
    else this.manual.set(name, parsed.recent);
  }

  position(partition: number): number {
    return this.positions[partition] ?? 0;
  }

  get(name: string): ScheduleSpec | undefined {
    return this.specs.get(name);
  }

  firingState(name: string): FiringState | undefined {
    return this.fired.get(name);
  }

  /** Cron and manual firings, newest first. */
  recentFirings(name: string): Firing[] {
    const all = [...(this.fired.get(name)?.recent ?? []), ...(this.manual.get(name) ?? [])];
    return all.sort((a, b) => b.fireAt - a.fireAt).slice(0, RECENT_FIRINGS);
  }

  list(): ScheduleSpec[] {
    return [...this.specs.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  // ---- records to write; the writer applies them locally too once produced -------------------

  specRecord(spec: ScheduleSpec): ProduceRecord {
    return this.record(spec.name, spec.name, { v: 1, kind: 'spec', ...spec });
  }

  firedRecord(state: FiringState): ProduceRecord {
    return this.record(state.name, state.name + FIRED, { v: 1, kind: 'fired', ...state });
  }

  manualRecord(name: string, recent: Firing[]): ProduceRecord {
    return this.record(name, name + MANUAL, { v: 1, kind: 'manual', name, recent });
  }

  tombstones(name: string): ProduceRecord[] {
    const partition = this.partitionOf(name);
    return [name, name + FIRED, name + MANUAL].map((key) => ({ topic: this.topic, key, value: null, partition }));
  }

  /** Local view of a write this process made, before the record comes back from the bus. */
  setLocal(kind: 'spec', value: ScheduleSpec): void;
  setLocal(kind: 'fired', value: FiringState): void;
  setLocal(kind: 'manual', value: { name: string; recent: Firing[] }): void;
  setLocal(kind: 'spec' | 'fired' | 'manual', value: ScheduleSpec | FiringState | { name: string; recent: Firing[] }): void {
    if (kind === 'spec') this.specs.set(value.name, value as ScheduleSpec);
    else if (kind === 'fired') this.fired.set(value.name, value as FiringState);
    else this.manual.set(value.name, (value as { recent: Firing[] }).recent);
  }

  deleteLocal(name: string): void {
    this.specs.delete(name);
    this.fired.delete(name);
    this.manual.delete(name);
  }

  private record(name: string, key: string, value: object): ProduceRecord {
    return { topic: this.topic, key, value: encodeMessage(value), partition: this.partitionOf(name) };
  }
}
