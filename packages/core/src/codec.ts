/**
 * JSON over Buffer, validated with zod at the boundary. Every decoder throws an OrchError:
 * ORCH_DECODE for bytes that are not JSON or do not match the schema (the message names the
 * field), ORCH_SCHEMA_VERSION for a well-formed record whose `v` is not 1. Consumers dead-letter
 * both.
 */
import type { z } from 'zod';
import type { RegisteredWorkflow } from './definition/types.js';
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
  RunStateSchema,
  SnapshotRecordSchema,
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

function decodeWith<S extends z.ZodType>(schema: S, b: Buffer | null, what: string, versionRequired: boolean): z.output<S> {
  const obj = parseJson(b, what);
  checkVersion(obj, what, versionRequired);
  const result = schema.safeParse(obj);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    const first = issues[0];
    const summary = first ? `${first.path || '(root)'}: ${first.message}` : 'does not match the schema';
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    throw new OrchError(ErrorCode.Decode, `${what}: ${summary}${more}`, { issues });
  }
  return result.data;
}

/** A record of `orch.commands` or `orch.results`. */
export function decodeRunInput(b: Buffer | null): RunInput {
  return decodeWith(RunInputSchema, b, 'run input', true) as RunInput;
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
  return decodeWith(RunEventSchema, b, 'run event', false) as RunEvent;
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
