/**
 * The changelog of a run on `orch.state`: control state, written in parts that follow what changed.
 *
 * A run is several keyed records of one partition (the partition of its runId):
 * - `<runId>`: the header — status, seq, watermarks, timestamps and the definition by reference
 *   (workflow, version, digest). A run that has ended embeds the control state of every step
 *   here (`steps`), so one record restores it, and its step records are tombstoned; and the input
 *   and outputs its last transition would have written as records of their own (`values`): a run
 *   that begins and ends between two snapshots is then its header alone;
 * - `<runId>/step/<stepId>`: one step's control state — status, attempt numbers and times, its
 *   timers and retry bookkeeping — written when that step changes, never the step's input or output.
 *   A transition that changes several steps writes one record, keyed by the first of them, that
 *   holds the others in `with` (a step ends and the next is scheduled: one record, not two);
 * - `<runId>/input` and `<runId>/output/<stepId>`: the run input and the outputs that templates
 *   (or the run's output) still read, each written once;
 * - `definition/<digest>`: a definition body, written once per partition and shared by its runs.
 *
 * Bytes per transition therefore follow the steps it touched, not the size of the run.
 */
import type { WorkflowDefinition } from '../definition/types.js';
import { sinkSteps } from '../definition/graph.js';
import { stepLabel } from '../definition/labels.js';
import { TERMINAL_RUN_STATUSES } from './draft.js';
import { ownerStepId } from './lookup.js';
import type { GateState } from '../concurrency/gate.js';
import type { AttemptView, RunState, StateLayout, StepView, Timer } from './types.js';

export const SnapshotKind = {
  Run: 'run',
  Step: 'step',
  Input: 'input',
  Output: 'output',
  Definition: 'definition',
  Gate: 'gate',
} as const;
export type SnapshotKind = (typeof SnapshotKind)[keyof typeof SnapshotKind];

/**
 * An attempt as the control plane needs it: times, outputs and errors live in the events. The
 * worker stays: a TaskStarted from another worker is a redelivery (redelivery.ts).
 */
export type AttemptControl = Omit<AttemptView, 'output' | 'error' | 'progress' | 'retry' | 'scheduledAt' | 'startedAt' | 'endedAt' | 'redeliveries'>;

/** A forEach item as stored: its control state and its output, which the step's output lists. */
export interface ItemControl extends Omit<StepView, 'attempts' | 'items'> {
  attempts: AttemptControl[];
}

/**
 * One step's control state, as stored (in a step record, or embedded in a finished run's
 * header), with the timers and retry bookkeeping of the step and of its forEach items (`s[3]`).
 */
export interface StepControl extends Omit<StepView, 'output' | 'task' | 'dependsOn' | 'attempts' | 'items'> {
  attempts: AttemptControl[];
  items?: ItemControl[];
  timers?: Timer[];
  lastDelayMs?: Record<string, number>;
  attemptBase?: Record<string, number>;
}

/**
 * The run fields that only grow. A transition that changes nothing else at the run level writes
 * no header: its step records carry them, and a restore takes the largest value it reads.
 */
export interface Watermarks {
  lastSeq: number;
  updatedAt: number;
  applied?: Record<string, number>;
  stateVersion?: number;
}

export interface RunHeader extends Omit<RunState, 'definition' | 'input' | 'output' | 'steps' | 'timers' | 'lastDelayMs' | 'attemptBase'> {
  kind: 'run';
  digest: string;
  /** Present once the run has ended: every step's control state. */
  steps?: Record<string, StepControl>;
  /** Present once the run has ended: what its last transition wrote of its input and outputs. */
  values?: HeaderValues;
}

/**
 * The input and outputs an ended run's header holds in place of their records: the input when
 * the run began in the same transition (no record of it was written), and the outputs that
 * transition set, as many as HEADER_VALUES_MAX_CHARS holds. They win over records of the same
 * keys, which are older.
 */
export interface HeaderValues {
  input?: unknown;
  outputs?: Record<string, unknown>;
}

/**
 * Keyed `<runId>/step/<stepId>`: the key names the run and the step whose control state the record
 * holds; `with` holds the other steps the same transition changed, and those whose latest state an
 * earlier record of this key held. A restore takes each step's state from the record with the
 * highest stateVersion that holds it.
 */
export interface StepRecord extends StepControl, Partial<Watermarks> {
  kind: 'step';
  with?: Record<string, StepControl>;
}
export interface InputRecord {
  kind: 'input';
  input?: unknown;
}
/** Keyed `<runId>/output/<stepId>`. */
export interface OutputRecord {
  kind: 'output';
  output?: unknown;
}
export interface DefinitionRecord {
  kind: 'definition';
  digest: string;
  definition: WorkflowDefinition;
}
/** A concurrency gate, whole: its holders are few, its queue bounded by the runs waiting. */
export interface GateRecord extends GateState {
  kind: 'gate';
}
/** A stretch of consecutive inputs of one source (`commands/<p>` or `results/<p>`), up to an offset. */
export interface InputStretch {
  source: string;
  /** The offset of the stretch's last input. */
  upTo: number;
}
/**
 * Keyed `order/<partition>`: the order in which the partition's owner applied the
 * inputs of its two source topics since its last snapshot landed, written with the outputs of
 * the batch that begins a stretch. The next owner applies the inputs it replays in that order, so the events it writes
 * again are those written the first time. Stretches alternate between the two sources: `first`
 * names the source of the first, and each one's last offset is held by `gaps` (written now) or
 * `upTo` (by earlier releases; still read).
 */
export interface OrderRecord {
  kind: 'order';
  first: string;
  /**
   * Each stretch's last offset as its distance from the last offset of the stretch two before it
   * (its source's previous one; from -1 for the first stretch of each source): small numbers, where
   * offsets grow with the log. The record is rewritten whole whenever a stretch begins, so it was
   * the largest share of the bytes written to `orch.state` with offsets written out.
   */
  gaps?: number[];
  /** Each stretch's last offset, as earlier releases wrote it. */
  upTo?: number[];
}
export type SnapshotRecord = RunHeader | StepRecord | InputRecord | OutputRecord | DefinitionRecord | GateRecord | OrderRecord;

/** A record to write: a value, or `null` for a tombstone. */
export interface SnapshotWrite {
  key: string;
  value: SnapshotRecord | null;
}

export const snapshotKeys = {
  run: (runId: string): string => runId,
  step: (runId: string, stepId: string): string => `${runId}/step/${stepId}`,
  input: (runId: string): string => `${runId}/input`,
  output: (runId: string, stepId: string): string => `${runId}/output/${stepId}`,
  definition: (digest: string): string => `definition/${digest}`,
  gate: (gateId: string): string => `gate/${gateId}`,
  order: (partition: number): string => `order/${partition}`,
};

/** The run (and step) a key of `orch.state` belongs to; step ids never hold a `/`. */
export function parseSnapshotKey(key: string, kind: SnapshotKind): { runId: string; stepId?: string } {
  if (kind === 'step' || kind === 'output') {
    const marker = `/${kind}/`;
    const at = key.lastIndexOf(marker);
    return { runId: key.slice(0, at), stepId: key.slice(at + marker.length) };
  }
  if (kind === 'input') return { runId: key.slice(0, -'/input'.length) };
  return { runId: key };
}

const referencedCache = new WeakMap<WorkflowDefinition, ReadonlySet<string>>();

/**
 * The steps whose outputs a run may still read: those named anywhere in the definition's
 * templates or expressions (`steps.<id>`), and the sink steps when the run's output is their
 * outputs by default. A superset is harmless; a step left out would break a later template.
 */
export function referencedOutputs(definition: WorkflowDefinition): ReadonlySet<string> {
  const cached = referencedCache.get(definition);
  if (cached) return cached;
  const ids = new Set(definition.steps.map((s) => s.id));
  const text = JSON.stringify(definition.steps.map((s) => ({ ...s, id: undefined, dependsOn: undefined }))) + JSON.stringify(definition.output ?? null);
  const found = new Set<string>();
  for (const match of text.matchAll(/steps\s*(?:\.\s*([A-Za-z0-9_-]+)|\[\s*\\?["']([A-Za-z0-9_-]+)\\?["']\s*\])/g)) {
    const id = match[1] ?? match[2];
    if (id !== undefined && ids.has(id)) found.add(id);
  }
  if (definition.output === undefined) for (const id of sinkSteps(definition)) found.add(id);
  referencedCache.set(definition, found);
  return found;
}

/** An attempt without its view-only fields, taken apart rather than copied and deleted from (a `delete` makes a slow object). */
function attemptControl(a: AttemptView): AttemptControl {
  const { output: _o, error: _e, progress: _p, retry: _r, scheduledAt: _s, startedAt: _st, endedAt: _en, redeliveries: _rd, ...control } = a;
  return control;
}

/** The entries of a per-step record (lastDelayMs, attemptBase) that belong to `stepId` or its items. */
function entriesOf(record: Record<string, number> | undefined, stepId: string): Record<string, number> | undefined {
  if (record === undefined) return undefined;
  let out: Record<string, number> | undefined;
  for (const key of Object.keys(record)) {
    if (ownerStepId(key) === stepId) (out ??= {})[key] = record[key]!;
  }
  return out;
}

function stepControl(state: RunState, stepId: string, step: StepView, timers: Timer[] | undefined): StepControl {
  const { output: _o, task: _t, dependsOn: _d, attempts, items, ...rest } = step;
  const control: StepControl = { ...rest, attempts: attempts.map(attemptControl) };
  if (items !== undefined) control.items = items.map(({ attempts: ia, items: _ii, ...item }) => ({ ...item, attempts: ia.map(attemptControl) }));
  if (timers !== undefined && timers.length > 0) control.timers = timers;
  const delays = entriesOf(state.lastDelayMs, stepId);
  if (delays !== undefined) control.lastDelayMs = delays;
  const bases = entriesOf(state.attemptBase, stepId);
  if (bases !== undefined) control.attemptBase = bases;
  return control;
}

/** Timers grouped by the step they belong to (an item's timers by its forEach step). */
function timersByStep(state: RunState | undefined): Map<string, Timer[]> {
  const out = new Map<string, Timer[]>();
  for (const t of state?.timers ?? []) {
    const owner = ownerStepId(t.stepId);
    const list = out.get(owner);
    if (list) list.push(t);
    else out.set(owner, [t]);
  }
  return out;
}

function sameTimers(a: Timer[] | undefined, b: Timer[] | undefined): boolean {
  if ((a?.length ?? 0) !== (b?.length ?? 0)) return false;
  return (a ?? []).every((t) => (b ?? []).some((u) => u.id === t.id && u.dueAt === t.dueAt && u.armed === t.armed));
}

function sameEntries(a: Record<string, number> | undefined, b: Record<string, number> | undefined): boolean {
  return JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});
}

function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A step's control state as `restoreRun` builds it from the definition when no record holds it. */
function isUnbegun(control: StepControl): boolean {
  return control.status === 'PENDING' && control.attempts.length === 0 && Object.keys(control).length === 2;
}

function header(state: RunState, digest: string): RunHeader {
  const { definition: _d, input: _i, output: _o, steps: _s, timers: _t, lastDelayMs: _l, attemptBase: _a, stateLayout: _sl, ...rest } = state;
  return { kind: 'run', ...rest, digest };
}

function watermarks(state: RunState): Watermarks {
  return {
    lastSeq: state.lastSeq,
    updatedAt: state.updatedAt,
    ...(state.applied === undefined ? {} : { applied: state.applied }),
    ...(state.stateVersion === undefined ? {} : { stateVersion: state.stateVersion }),
  };
}

/** The run fields a header leaves out (they have records of their own), or that only grow (the watermarks). */
const NOT_COMPARED_IN_HEADER: ReadonlySet<string> = new Set(['definition', 'input', 'output', 'steps', 'timers', 'lastDelayMs', 'attemptBase', 'stateLayout', 'lastSeq', 'updatedAt', 'applied', 'stateVersion']);

/** Whether the run-level fields other than the watermarks differ: field by field, by value. */
function headerChanged(prev: RunState, next: RunState): boolean {
  const a = prev as unknown as Record<string, unknown>;
  const b = next as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (NOT_COMPARED_IN_HEADER.has(key) || a[key] === b[key]) continue;
    if (typeof a[key] !== 'object' || typeof b[key] !== 'object' || a[key] === null || b[key] === null) return true;
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return true;
  }
  return false;
}

/** The homes of a run whose steps are all in their own records: one object for every such run. */
const NO_HOMES: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** `homes`, or the shared NO_HOMES when it is empty. */
const sharedIfEmpty = (homes: Record<string, string>): Record<string, string> => (Object.keys(homes).length === 0 ? NO_HOMES : homes);

/**
 * The JSON an ended run's header holds of its input and outputs, at most: a restore parses the
 * header of every run it retains, and a header must stay far below the largest record a broker
 * takes (an output alone may be a quarter of a megabyte). What does not fit is written as records.
 */
export const HEADER_VALUES_MAX_CHARS = 1024;

/** The records of a transition, and the run's layout on `orch.state` after them. */
export interface SnapshotTransition {
  writes: SnapshotWrite[];
  /** Undefined once no step record is left (a run that has ended, or whose steps have not begun). */
  layout: StateLayout | undefined;
}

/**
 * The records that take `orch.state` from `prev` to `next` (prev undefined: a new run). Steps
 * are compared by identity first (the reducer keeps untouched step objects), then by their
 * control state, so the bytes are those of the steps whose control state changed. The changed
 * steps go in one record, keyed by the first of them (its host), with the steps whose latest
 * state the host's previous record held, since the new record replaces it. The run's header is
 * written when a run-level field changed; otherwise the step record carries the watermarks. A
 * new run writes no record for a step that has not begun. An ended run's header embeds every
 * step and its step records are tombstoned, and holds the input and outputs the transition would
 * write as records (`values`); a transition from an ended run writes them as records again.
 */
export function snapshotWrites(prev: RunState | undefined, next: RunState, digest: string): SnapshotTransition {
  const ended = TERMINAL_RUN_STATUSES.has(next.status);
  const wasEnded = prev !== undefined && TERMINAL_RUN_STATUSES.has(prev.status);
  // The values a run ending now writes go in its header, as many as HEADER_VALUES_MAX_CHARS
  // holds; a header written after it ended replaces one that may hold them, so they become
  // records again.
  const endsNow = ended && !wasEnded;
  const values = new ValueWrites(next.runId, endsNow);
  if (prev === undefined || wasEnded) values.keepInput(next.input);
  const { embedded, changed, nextTimers } = changedSteps(prev, next, values, ended, wasEnded);
  const writes = values.writes;
  // A run that ended again had its step records tombstoned: it starts with none.
  let layout = wasEnded ? undefined : prev?.stateLayout;
  const [host] = changed.keys();
  if (host !== undefined) {
    const hosted = hostRecord(next, host, changed, layout, nextTimers);
    layout = hosted.layout;
    writes.push(hosted.write);
  }
  if (endsNow) {
    // The header now holds every step: the step records are superseded.
    for (const key of prev?.stateLayout?.keys ?? []) writes.push({ key: snapshotKeys.step(next.runId, key), value: null });
    layout = undefined;
  }
  if (prev === undefined || ended || wasEnded || host === undefined || headerChanged(prev, next)) {
    const h = header(next, digest);
    if (ended) h.steps = embedded;
    const held = values.held();
    if (held !== undefined) h.values = held;
    // The header goes last: a reader that sees it has seen every part written with it.
    writes.push({ key: snapshotKeys.run(next.runId), value: h });
  }
  return { writes, layout };
}

/**
 * The records of a run's input and step outputs, or, for a run that ends now, as many of them as
 * its header holds (`held`) within HEADER_VALUES_MAX_CHARS; the rest are records all the same.
 */
class ValueWrites {
  readonly writes: SnapshotWrite[] = [];
  readonly #values: HeaderValues | undefined;
  #room = HEADER_VALUES_MAX_CHARS;

  constructor(
    private readonly runId: string,
    inHeader: boolean,
  ) {
    this.#values = inHeader ? {} : undefined;
  }

  keepInput(input: unknown): void {
    if (this.#values !== undefined && this.#embeds(input)) this.#values.input = input;
    else this.writes.push({ key: snapshotKeys.input(this.runId), value: { kind: 'input', input } });
  }

  keepOutput(stepId: string, output: unknown): void {
    if (this.#values !== undefined && this.#embeds(output)) (this.#values.outputs ??= {})[stepId] = output;
    else this.writes.push({ key: snapshotKeys.output(this.runId, stepId), value: { kind: 'output', output } });
  }

  /** What the header holds, if anything. */
  held(): HeaderValues | undefined {
    const values = this.#values;
    return values !== undefined && (Object.hasOwn(values, 'input') || values.outputs !== undefined) ? values : undefined;
  }

  #embeds(value: unknown): boolean {
    const size = JSON.stringify(value ?? null).length;
    if (size > this.#room) return false;
    this.#room -= size;
    return true;
  }
}

/**
 * Each step's control state in `next`, for an ended run (`embedded`, every step), else for the
 * steps whose control state the transition changed (`changed`, in step order); the outputs of the
 * steps that later templates read go to `values` as they change.
 */
function changedSteps(
  prev: RunState | undefined,
  next: RunState,
  values: ValueWrites,
  ended: boolean,
  wasEnded: boolean,
): { embedded: Record<string, StepControl>; changed: Map<string, StepControl>; nextTimers: Map<string, Timer[]> } {
  const prevTimers = timersByStep(prev);
  const nextTimers = timersByStep(next);
  const referenced = referencedOutputs(next.definition);
  const touched = touchedStep(prev, next, prevTimers, nextTimers, wasEnded);
  const embedded: Record<string, StepControl> = {};
  const changed = new Map<string, StepControl>();
  for (const stepId of Object.keys(next.steps)) {
    const step = next.steps[stepId]!;
    const before = prev === undefined ? undefined : own(prev.steps, stepId);
    if (step.status === 'SUCCEEDED' && referenced.has(stepId) && (wasEnded || before?.status !== 'SUCCEEDED' || before.output !== step.output)) {
      values.keepOutput(stepId, step.output);
    }
    if (ended) {
      embedded[stepId] = stepControl(next, stepId, step, nextTimers.get(stepId));
      continue;
    }
    if (!touched(stepId, before, step)) continue;
    const now = stepControl(next, stepId, step, nextTimers.get(stepId));
    // A new run's steps that have not begun: `restoreRun` rebuilds them from the definition.
    if (prev === undefined && isUnbegun(now)) continue;
    // A change to view-only fields (progress, a worker id) writes nothing; a new status or attempt never is one.
    if (!wasEnded && before !== undefined && prev !== undefined && before.status === step.status && before.attempts.length === step.attempts.length && JSON.stringify(now) === JSON.stringify(stepControl(prev, stepId, before, prevTimers.get(stepId)))) continue;
    changed.set(stepId, now);
  }
  return { embedded, changed, nextTimers };
}

/** Whether the transition may have changed a step's control state: what it left alone is the same object. */
function touchedStep(
  prev: RunState | undefined,
  next: RunState,
  prevTimers: Map<string, Timer[]>,
  nextTimers: Map<string, Timer[]>,
  wasEnded: boolean,
): (stepId: string, before: StepView | undefined, step: StepView) => boolean {
  // The reducer keeps what a transition left alone: the same objects need no comparing, step by step.
  const sameTimerList = prev !== undefined && prev.timers === next.timers;
  const sameDelays = prev !== undefined && prev.lastDelayMs === next.lastDelayMs;
  const sameBases = prev !== undefined && prev.attemptBase === next.attemptBase;
  return (stepId, before, step) =>
    wasEnded ||
    before !== step ||
    (!sameTimerList && !sameTimers(prevTimers.get(stepId), nextTimers.get(stepId))) ||
    (!sameDelays && !sameEntries(entriesOf(prev?.lastDelayMs, stepId), entriesOf(next.lastDelayMs, stepId))) ||
    (!sameBases && !sameEntries(entriesOf(prev?.attemptBase, stepId), entriesOf(next.attemptBase, stepId)));
}

/**
 * The record of the changed steps, keyed by the first of them (`host`), with the steps whose latest
 * state the host's previous record held, since the new record replaces it; and the run's layout
 * after it.
 */
function hostRecord(
  next: RunState,
  host: string,
  changed: ReadonlyMap<string, StepControl>,
  layout: StateLayout | undefined,
  nextTimers: Map<string, Timer[]>,
): { write: SnapshotWrite; layout: StateLayout } {
  const homes: Record<string, string> = { ...layout?.homes };
  const held = new Map<string, StepControl>();
  for (const [stepId, control] of changed) if (stepId !== host) held.set(stepId, control);
  // The host's previous record is replaced: the steps whose latest state it held move along.
  for (const [stepId, home] of Object.entries(homes)) {
    if (home === host && stepId !== host && !held.has(stepId)) held.set(stepId, stepControl(next, stepId, next.steps[stepId]!, nextTimers.get(stepId)));
  }
  delete homes[host];
  for (const stepId of held.keys()) homes[stepId] = host;
  const keys = layout === undefined || !layout.keys.includes(host) ? [...(layout?.keys ?? []), host] : layout.keys;
  const record: StepRecord = { kind: 'step', ...changed.get(host)!, ...(held.size > 0 ? { with: Object.fromEntries(held) } : {}), ...watermarks(next) };
  return { write: { key: snapshotKeys.step(next.runId, host), value: record }, layout: { homes: sharedIfEmpty(homes), keys } };
}

/** `state` with `layout` as its stateLayout: the same object when it did not change. */
export function withStateLayout(state: RunState, layout: StateLayout | undefined): RunState {
  if (layout === state.stateLayout) return state;
  if (layout !== undefined) return { ...state, stateLayout: layout };
  const { stateLayout: _l, ...rest } = state;
  return rest;
}

/**
 * Each step's latest control state among the step records of a run (the record with the highest
 * stateVersion that holds it, in its own fields or in `with`), and the run's layout: the steps
 * found under another step's key, and the keys read.
 */
function latestControls(records: ReadonlyMap<string, StepRecord>): { controls: Map<string, StepControl>; layout: StateLayout | undefined } {
  const best = new Map<string, { control: StepControl; version: number; host: string }>();
  const offer = (stepId: string, control: StepControl, version: number, host: string): void => {
    const current = best.get(stepId);
    if (current === undefined || current.version < version || (current.version === version && stepId === host)) best.set(stepId, { control, version, host });
  };
  for (const [host, record] of records) {
    const { kind: _k, with: others, lastSeq: _ls, updatedAt: _ua, applied: _ap, stateVersion, ...control } = record;
    const version = stateVersion ?? 0;
    offer(host, control, version, host);
    for (const [stepId, other] of Object.entries(others ?? {})) offer(stepId, other, version, host);
  }
  const controls = new Map<string, StepControl>();
  const homes: Record<string, string> = {};
  for (const [stepId, { control, host }] of best) {
    controls.set(stepId, control);
    if (host !== stepId) homes[stepId] = host;
  }
  return { controls, layout: records.size === 0 ? undefined : { homes: sharedIfEmpty(homes), keys: [...records.keys()] } };
}

/** The parts of one run read back from `orch.state`. */
export interface RunParts {
  header: RunHeader;
  steps?: Map<string, StepRecord>;
  input?: InputRecord;
  outputs?: Map<string, OutputRecord>;
}

/** The larger of two watermarks, field by field. */
export function mergeWatermarks<T extends Partial<Watermarks>>(into: T, from: Partial<Watermarks>): T {
  const out: T = { ...into };
  if (from.lastSeq !== undefined && from.lastSeq > (out.lastSeq ?? -1)) out.lastSeq = from.lastSeq;
  if (from.updatedAt !== undefined && from.updatedAt > (out.updatedAt ?? -Infinity)) out.updatedAt = from.updatedAt;
  if (from.stateVersion !== undefined && from.stateVersion > (out.stateVersion ?? -1)) out.stateVersion = from.stateVersion;
  if (from.applied !== undefined) {
    const applied = { ...out.applied };
    for (const [source, offset] of Object.entries(from.applied)) {
      if (!Object.hasOwn(applied, source) || applied[source]! < offset) applied[source] = offset;
    }
    out.applied = applied;
  }
  return out;
}

/** The run's header, with the watermarks of its step records when it embeds no steps of its own. */
function restoredHeader(parts: RunParts): RunHeader {
  let header = parts.header;
  if (header.steps === undefined) for (const record of parts.steps?.values() ?? []) header = mergeWatermarks(header, record);
  return header;
}

/** A step's output, from an ending run's header or from the step's output record. */
function restoredOutput(stepId: string, parts: RunParts, values: HeaderValues | undefined): { output: unknown } | undefined {
  if (values?.outputs !== undefined && Object.hasOwn(values.outputs, stepId)) return { output: values.outputs[stepId] };
  const record = parts.outputs?.get(stepId);
  return record === undefined ? undefined : { output: record.output };
}

/** Times and workers are view-only: a restored attempt carries its number and status. */
function restoredAttempts<A extends object>(attempts: readonly A[]): (A & { scheduledAt: number })[] {
  return attempts.map((a) => ({ scheduledAt: 0, ...a }));
}

/** One step from its control record (PENDING without one), with its output where the parts hold it. */
function restoredStep(def: WorkflowDefinition['steps'][number], record: StepControl | undefined, parts: RunParts, values: HeaderValues | undefined): StepView {
  const base: StepView = { status: 'PENDING', task: stepLabel(def), dependsOn: [...(def.dependsOn ?? [])], attempts: [] };
  if (record === undefined) return base;
  const { timers: _t, lastDelayMs: _d, attemptBase: _b, attempts, items, ...view } = record;
  const step: StepView = { ...base, ...(view as Partial<StepView>), attempts: restoredAttempts(attempts) };
  if (items !== undefined) step.items = items.map((item) => ({ ...item, attempts: restoredAttempts(item.attempts) }));
  const output = restoredOutput(def.id, parts, values);
  if (output !== undefined) step.output = output.output;
  return step;
}

/**
 * Rebuilds a run's in-memory state from its parts and its definition. Attempts come back with
 * their control fields only; outputs come back for the steps that later templates read.
 */
export function restoreRun(parts: RunParts, definition: WorkflowDefinition): RunState {
  const { kind: _k, digest: _d, steps: embedded, values, ...rest } = restoredHeader(parts);
  const latest = embedded === undefined ? latestControls(parts.steps ?? new Map()) : undefined;
  const steps: Record<string, StepView> = {};
  const timers: Timer[] = [];
  const lastDelayMs: Record<string, number> = {};
  const attemptBase: Record<string, number> = {};
  for (const def of definition.steps) {
    if (Object.hasOwn(steps, def.id)) continue;
    const record: StepControl | undefined = embedded !== undefined ? own(embedded, def.id) : latest?.controls.get(def.id);
    steps[def.id] = restoredStep(def, record, parts, values);
    for (const t of record?.timers ?? []) timers.push({ ...t });
    Object.assign(lastDelayMs, record?.lastDelayMs);
    Object.assign(attemptBase, record?.attemptBase);
  }
  return {
    ...rest,
    input: values !== undefined && Object.hasOwn(values, 'input') ? values.input : parts.input?.input,
    definition,
    steps,
    timers,
    lastDelayMs,
    ...(Object.keys(attemptBase).length > 0 ? { attemptBase } : {}),
    ...(latest?.layout === undefined ? {} : { stateLayout: latest.layout }),
  };
}
