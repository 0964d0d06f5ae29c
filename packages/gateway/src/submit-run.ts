/**
 * Starting a run on behalf of a request, a schedule's firing or a rerun: one path, so each gets
 * the same checks (input size, a registered workflow) and the same idempotency.
 */
import stringify from 'safe-stable-stringify';
import { ErrorCode, OrchError, checkPayloadSize, containsClaimCheck, encodeMessage, isClaimCheck, isOrchError, newRunId, payloadBytes, runIdForIdempotencyKey, sha256Hex, unregisteredMessage } from '@orchestrator-lite/core';
import type { RegisteredWorkflow, RunPriority, RunReuse, RunStatus, RunView, StartRun } from '@orchestrator-lite/core';
import type { GatewayContext } from './context.js';
import { findRunForWrite, produceForRequest, requireCaughtUp } from './bus.js';
import { notFound } from './http-errors.js';

export interface SubmitRunRequest {
  workflow: string;
  /** Default: the latest version. */
  version?: number;
  input?: unknown;
  /** The same key always names the same run: a second submission answers with the first. */
  idempotencyKey?: string;
  /** 1 (high) to 3 (low). @default 2 */
  priority?: RunPriority;
  /** A rerun: the steps taken, with their outputs, from the run it reruns. */
  reuse?: RunReuse;
  /** Headers for the StartRun record (trace context). */
  headers?: Record<string, string>;
  /**
   * A key reused with another input or version is a 409 naming the run the key started (a client's
   * request), rather than that run (a schedule's firing after a failover).
   * @default false
   */
  conflictOnDifferentBody?: boolean;
}

export interface SubmitRunResult {
  runId: string;
  status: RunStatus;
  /** False when the idempotency key named a run that already exists. */
  created: boolean;
  version: number;
}

/** An input that travels inline (a schedule's): within `maxInputBytes`, or a 413 naming it. */
export function checkInputSize(ctx: Pick<GatewayContext, 'config'>, input: unknown, limit = ctx.config.maxInputBytes): Buffer {
  return checkPayloadSize('input', input ?? {}, limit);
}

/**
 * An idempotency key names one request: reused with another input or version it is a client
 * bug, answered 409 with the run the key already started (as payment APIs do).
 */
function assertSameStart(existing: RunView, key: string, input: unknown, version: number | undefined): void {
  const differs: string[] = [];
  if (version !== undefined && version !== existing.version) differs.push('version');
  if (existing.input !== undefined && stringify(existing.input) !== stringify(input)) differs.push('input');
  if (differs.length === 0) return;
  // A claim-checked input is compared by its digest.
  if (differs.length === 1 && differs[0] === 'input' && isClaimCheck(existing.input) && existing.input.$payload.sha256 === sha256Hex(payloadBytes(input))) return;
  throw new OrchError(ErrorCode.Conflict, `idempotencyKey ${JSON.stringify(key.slice(0, 100))} was used for run ${existing.runId} with a different ${differs.join(' and ')}`, {
    field: 'idempotencyKey',
    runId: existing.runId,
    differs,
  });
}

/** A value whose claim-checks are copied to `runId`; one that cannot be read is a 400 naming where it was. */
async function adoptClaims(ctx: GatewayContext, value: unknown, runId: string, field: string): Promise<unknown> {
  try {
    return await ctx.payloads.adopt(value, runId);
  } catch (error) {
    if (!isOrchError(error) || error.code === ErrorCode.Transport || error.code === ErrorCode.Unavailable) throw error;
    throw new OrchError(ErrorCode.Validation, `${field} holds a claim-check that cannot be read: ${error.message}`, { field });
  }
}

async function adoptReused(ctx: GatewayContext, reuse: RunReuse, runId: string): Promise<RunReuse> {
  const steps: RunReuse['steps'] = {};
  for (const [stepId, step] of Object.entries(reuse.steps)) {
    steps[stepId] = step.output === undefined ? step : { ...step, output: await adoptClaims(ctx, step.output, runId, `steps.${stepId}.output`) };
  }
  return { ...reuse, steps };
}

/** What a start was checked against, before anything is written: the definition it runs and its input's bytes. */
export interface CheckedStart {
  registered: RegisteredWorkflow;
  inputBytes: Buffer;
}

/**
 * The checks a start passes before it writes: its input within `maxPayloadBytes` (413), its
 * workflow and version registered (404).
 */
export async function checkStart(ctx: GatewayContext, request: Pick<SubmitRunRequest, 'workflow' | 'version' | 'input'>): Promise<CheckedStart> {
  const { workflow, version, input } = request;
  // A run input is a payload: up to maxPayloadBytes, claim-checked above the inline limit.
  const inputBytes = checkInputSize(ctx, input, ctx.config.maxPayloadBytes);
  await requireCaughtUp(ctx, 'definitions');
  const registered = version === undefined ? ctx.registry.latest(workflow) : ctx.registry.get(workflow, version);
  if (registered === undefined) {
    throw notFound(unregisteredMessage(workflow, version), 'workflow');
  }
  return { registered, inputBytes };
}

export async function submitRun(ctx: GatewayContext, request: SubmitRunRequest, checked?: CheckedStart): Promise<SubmitRunResult> {
  const { readModel, transport, names } = ctx;
  const { workflow, version, input, idempotencyKey } = request;
  const { registered, inputBytes } = checked ?? (await checkStart(ctx, request));
  const runId = idempotencyKey === undefined ? newRunId() : runIdForIdempotencyKey(workflow, idempotencyKey);
  // A run already started with this idempotency key answers with its status (once its StartRun
  // is written, when an earlier submission here is still writing it).
  const existing = idempotencyKey === undefined ? undefined : await findRunForWrite(ctx, runId);
  if (existing !== undefined) {
    if (request.conflictOnDifferentBody === true) assertSameStart(existing, idempotencyKey ?? '', input ?? {}, version);
    return { runId, status: existing.status, created: false, version: existing.version };
  }
  const at = ctx.now();
  // Claim-checks of another run (a rerun's input and reused outputs) are copied to this one, so
  // the other run's expiry never takes a payload this run still reads.
  const adopted = containsClaimCheck(input) ? await adoptClaims(ctx, input, runId, 'input') : input;
  const startInput = await ctx.payloads.claim(adopted ?? {}, runId, adopted === input ? inputBytes : undefined);
  const reuse = request.reuse === undefined ? undefined : await adoptReused(ctx, request.reuse, runId);
  const command: StartRun = {
    v: 1,
    type: 'StartRun',
    runId,
    workflow,
    version: registered.version,
    definition: registered.definition,
    input: startInput,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    ...(request.priority === undefined || request.priority === 2 ? {} : { priority: request.priority }),
    ...(reuse === undefined ? {} : { reuse }),
    at,
  };
  // The placeholder goes in before the write, so a concurrent submission with the same key sees
  // the run and answers with it, once this write is done, instead of writing a second StartRun.
  const placeholder: RunView = {
    runId,
    workflow,
    version: registered.version,
    status: 'PENDING',
    input: command.input,
    createdAt: at,
    updatedAt: at,
    lastSeq: 0,
    definition: registered.definition,
    steps: {},
    ...(command.priority === undefined ? {} : { priority: command.priority }),
  };
  const record = { topic: names.commands, key: runId, value: encodeMessage(command), ...(request.headers === undefined ? {} : { headers: request.headers }) };
  const added = await readModel.addPlaceholder(placeholder, () => produceForRequest(transport, [record]));
  if (!added) return { runId, status: 'PENDING', created: false, version: registered.version };
  return { runId, status: 'PENDING', created: true, version: registered.version };
}
