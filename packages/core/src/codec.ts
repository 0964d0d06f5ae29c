/**
 * JSON over Buffer, validated with zod at the boundary. Every decoder throws an OrchError:
 * ORCH_DECODE for bytes that are not JSON or do not match the schema (the message names the
 * field), ORCH_SCHEMA_VERSION for a well-formed record whose `v` is not 1. Consumers dead-letter
 * both.
 */
import type { z } from 'zod';
import type { RegisteredWorkflow, WorkflowDefinition } from './definition/types.js';
import { formatPath } from './definition/schema.js';
import { ErrorCode, OrchError } from './errors.js';
import type { RunEvent } from './events.js';
import { SCHEMA_VERSION, type ControlMessage, type RunInput, type TaskDispatched } from './messages.js';
import type { RunState } from './run/types.js';
import type { SnapshotRecord } from './run/snapshot.js';
import {
  ControlMessageSchema,
  RegisteredWorkflowSchema,
  RunEventSchema,
  RunInputSchema,
  RunStartedOfValidatedSchema,
  RunStateSchema,
  SnapshotRecordSchema,
  StartRunOfValidatedSchema,
  TaskDispatchedSchema,
} from './schemas.js';

/**
 * Serializes a record as UTF-8 JSON. Records whose type has no `v` (events, snapshots,
 * registered definitions) get `v: 1` on the wire, so every record on the bus is versioned.
 */
export function encodeMessage(m: object): Buffer {
  return Buffer.from(JSON.stringify('v' in m ? m : { v: SCHEMA_VERSION, ...m }), 'utf8');
}

function parseJson(b: Buffer | null, what: string): Record<string, unknown> {
  if (b === null || b.length === 0) throw new OrchError(ErrorCode.Decode, `${what}: empty record`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(b.toString('utf8'));
  } catch (err) {
    throw new OrchError(ErrorCode.Decode, `${what}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new OrchError(ErrorCode.Decode, `${what}: expected a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function checkVersion(obj: Record<string, unknown>, what: string, required: boolean): void {
  if (!('v' in obj)) {
    if (required) throw new OrchError(ErrorCode.Decode, `${what}: v: missing schema version`);
    return;
  }
  if (obj.v !== SCHEMA_VERSION) {
    throw new OrchError(ErrorCode.SchemaVersion, `${what}: unsupported schema version v=${JSON.stringify(obj.v)} (this build reads v=${SCHEMA_VERSION})`, {
      v: obj.v,
    });
  }
}

/**
 * Workflow definitions validated before, by their JSON text. StartRun and RunStarted carry their
 * run's definition whole, and validating it was most of their decode (30 of 33 µs for a 10-step
 * chain), for a body that a workflow's runs share. The decodes of one text share one validated
 * definition, frozen: nothing may change it.
 */
const validatedDefinitions = new Map<string, WorkflowDefinition>();
const VALIDATED_DEFINITIONS_MAX = 256;

/** A record that may carry a run's definition: where it is, and the record's schema for a definition validated before. */
interface DefinitionCarrier {
  holderOf(record: Record<string, unknown>): Record<string, unknown> | undefined;
  validated: z.ZodType;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function decodeWith<S extends z.ZodType>(schema: S, b: Buffer | null, what: string, versionRequired: boolean, carrier?: DefinitionCarrier): z.output<S> {
  return checkWith(schema, parseJson(b, what), what, versionRequired, carrier);
}

/** A parsed record checked against its schema (see decodeWith). */
function checkWith<S extends z.ZodType>(schema: S, obj: Record<string, unknown>, what: string, versionRequired: boolean, carrier?: DefinitionCarrier): z.output<S> {
  checkVersion(obj, what, versionRequired);
  const holder = carrier?.holderOf(obj);
  const text = holder !== undefined && typeof holder.definition === 'object' && holder.definition !== null ? JSON.stringify(holder.definition) : undefined;
  const known = text === undefined ? undefined : validatedDefinitions.get(text);
  const result = (known === undefined ? schema : carrier!.validated).safeParse(obj);
  if (result.success && text !== undefined) {
    const into = carrier!.holderOf(result.data as Record<string, unknown>)!;
    if (known !== undefined) into.definition = known;
    else {
      if (validatedDefinitions.size >= VALIDATED_DEFINITIONS_MAX) validatedDefinitions.delete(validatedDefinitions.keys().next().value!);
      validatedDefinitions.set(text, deepFreeze(into.definition as WorkflowDefinition));
    }
  }
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    const first = issues[0];
    const summary = first ? `${first.path || '(root)'}: ${first.message}` : 'does not match the schema';
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    throw new OrchError(ErrorCode.Decode, `${what}: ${summary}${more}`, { issues });
  }
  return result.data as z.output<S>;
}

const START_RUN: DefinitionCarrier = { holderOf: (r) => (r.type === 'StartRun' ? r : undefined), validated: StartRunOfValidatedSchema };
const RUN_STARTED: DefinitionCarrier = {
  holderOf: (r) => (r.type === 'RunStarted' && typeof r.data === 'object' && r.data !== null ? (r.data as Record<string, unknown>) : undefined),
  validated: RunStartedOfValidatedSchema,
};

/** A record of `orch.commands` or `orch.results`. */
export function decodeRunInput(b: Buffer | null): RunInput {
  return decodeWith(RunInputSchema, b, 'run input', true, START_RUN) as RunInput;
}

/** A record of `orch.tasks.<queue>`. */
export function decodeDispatch(b: Buffer | null): TaskDispatched {
  return decodeWith(TaskDispatchedSchema, b, 'task dispatch', true) as TaskDispatched;
}

/** A record of `orch.control`. */
export function decodeControl(b: Buffer | null): ControlMessage {
  return decodeWith(ControlMessageSchema, b, 'control message', true) as ControlMessage;
}

/** A record of `orch.events`. */
export function decodeEvent(b: Buffer | null): RunEvent {
  return decodeWith(RunEventSchema, b, 'run event', false, RUN_STARTED) as RunEvent;
}

/**
 * A record of `orch.events` when its `type` is one of `types`, checked whole; undefined for an
 * event of another type, whose other fields are not checked: for a reader that wants a few types.
 * A record with no type string is checked, and fails as `decodeEvent` fails it.
 */
export function decodeEventOfTypes(b: Buffer | null, types: ReadonlySet<string>): RunEvent | undefined {
  const obj = parseJson(b, 'run event');
  if (typeof obj.type === 'string' && !types.has(obj.type)) return undefined;
  return checkWith(RunEventSchema, obj, 'run event', false, RUN_STARTED) as RunEvent;
}

/** A whole run state, as tools and tests serialize it. */
export function decodeState(b: Buffer | null): RunState {
  return decodeWith(RunStateSchema, b, 'run state', false) as RunState;
}

/** A record of `orch.state`: one part of a run (a null value is a tombstone: callers check for it first). */
export function decodeSnapshot(b: Buffer | null): SnapshotRecord {
  const { v: _v, ...record } = decodeWith(SnapshotRecordSchema, b, 'state record', false) as SnapshotRecord & { v?: number };
  return record as SnapshotRecord;
}

/** A record of `orch.definitions`. */
export function decodeRegistered(b: Buffer | null): RegisteredWorkflow {
  return decodeWith(RegisteredWorkflowSchema, b, 'registered workflow', false) as RegisteredWorkflow;
}
