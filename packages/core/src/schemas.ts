/**
 * zod schemas of every record on the bus, used by the codec at the boundary. Objects are not
 * strict here (unknown keys are dropped): a reader tolerates fields added within version 1.
 * Fields of type unknown are optional: JSON drops a key whose value is undefined.
 * The `v` field is checked by the codec before these run; events, snapshots and registered
 * definitions carry it on the wire only (the codec adds it), not in their TypeScript types.
 */
import { z } from 'zod';
import { ConcurrencySchema, JitterSchema, RegisteredWorkflowSchema, WorkflowDefinitionSchema } from './definition/schema.js';
import type { WorkflowDefinition } from './definition/types.js';

const v1 = z.literal(1);
const ms = z.number().finite();
const id = z.string().min(1);

export const ErrorInfoSchema = z.object({
  type: z.string(),
  message: z.string(),
  nonRetryable: z.boolean().optional(),
  retryAfterMs: z.number().min(0).optional(),
  details: z.unknown().optional(),
});

export const StartRunSchema = z.object({
  v: v1,
  type: z.literal('StartRun'),
  runId: id,
  workflow: z.string(),
  version: z.number().int(),
  definition: WorkflowDefinitionSchema,
  input: z.unknown().optional(),
  idempotencyKey: z.string().optional(),
  parentRunId: z.string().optional(),
  parentStepId: z.string().optional(),
  priority: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
  reuse: z.object({ fromRunId: z.string(), fromStep: z.string(), steps: z.record(z.string(), z.object({ output: z.unknown().optional() })) }).optional(),
  at: ms,
});
const CancelRunSchema = z.object({ v: v1, type: z.literal('CancelRun'), runId: id, reason: z.string().optional(), at: ms });
const RetryRunSchema = z.object({ v: v1, type: z.literal('RetryRun'), runId: id, at: ms });
const TimerFiredSchema = z.object({ v: v1, type: z.literal('TimerFired'), runId: id, timerId: z.string(), armed: z.number().int().positive().optional(), at: ms });
const SignalSchema = z.object({ v: v1, type: z.literal('Signal'), runId: id, name: z.string().min(1), payload: z.unknown().optional(), at: ms });
const StartChildRunSchema = z.object({
  v: v1,
  type: z.literal('StartChildRun'),
  runId: id,
  workflow: z.string(),
  version: z.number().int().optional(),
  input: z.unknown().optional(),
  parentRunId: id,
  parentStepId: z.string(),
  at: ms,
});
const RunEndStatusSchema = z.enum(['SUCCEEDED', 'FAILED', 'CANCELLED']);
const ChildRunEndedSchema = z.object({
  v: v1,
  type: z.literal('ChildRunEnded'),
  runId: id,
  childRunId: id,
  stepId: z.string(),
  status: RunEndStatusSchema,
  output: z.unknown().optional(),
  error: ErrorInfoSchema.optional(),
  at: ms,
});
const AcquireSlotSchema = z.object({
  v: v1,
  type: z.literal('AcquireSlot'),
  runId: id,
  holder: id,
  workflow: z.string(),
  key: z.string(),
  limit: ConcurrencySchema.shape.limit,
  policy: ConcurrencySchema.shape.policy.unwrap(),
  at: ms,
});
const ReleaseSlotSchema = z.object({ v: v1, type: z.literal('ReleaseSlot'), runId: id, holder: id, at: ms });
const SlotGrantedSchema = z.object({ v: v1, type: z.literal('SlotGranted'), runId: id, gate: id, at: ms });
const SlotQueuedSchema = z.object({ v: v1, type: z.literal('SlotQueued'), runId: id, gate: id, reason: z.string(), at: ms });

const resultBase = { v: v1, runId: id, stepId: z.string(), attempt: z.number().int().min(1), workerId: z.string(), at: ms };
const LogLevelSchema = z.enum(['debug', 'info', 'warn', 'error']);
const TaskResultSchemas = [
  z.object({ ...resultBase, type: z.literal('TaskStarted') }),
  z.object({ ...resultBase, type: z.literal('TaskHeartbeat'), details: z.unknown().optional() }),
  z.object({ ...resultBase, type: z.literal('TaskProgress'), fraction: z.number().min(0).max(1), message: z.string().optional() }),
  z.object({
    ...resultBase,
    type: z.literal('TaskLog'),
    level: LogLevelSchema,
    message: z.string(),
    fields: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({ ...resultBase, type: z.literal('TaskCompleted'), output: z.unknown().optional(), startedAt: ms.optional() }),
  z.object({ ...resultBase, type: z.literal('TaskFailed'), error: ErrorInfoSchema, startedAt: ms.optional() }),
] as const;

export const RunInputSchema = z.discriminatedUnion('type', [
  StartRunSchema,
  CancelRunSchema,
  RetryRunSchema,
  TimerFiredSchema,
  SignalSchema,
  StartChildRunSchema,
  ChildRunEndedSchema,
  AcquireSlotSchema,
  ReleaseSlotSchema,
  SlotGrantedSchema,
  SlotQueuedSchema,
  ...TaskResultSchemas,
]);

export const TaskDispatchedSchema = z.object({
  v: v1,
  type: z.literal('TaskDispatched'),
  runId: id,
  stepId: z.string(),
  attempt: z.number().int().min(1),
  task: z.string(),
  queue: z.string(),
  input: z.unknown().optional(),
  idempotencyKey: z.string(),
  timeoutMs: z.number().int().optional(),
  heartbeatTimeoutMs: z.number().int().optional(),
  deadlineAt: ms.optional(),
  dispatchedAt: ms,
  priority: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
});

export const ControlMessageSchema = z.object({
  v: v1,
  type: z.literal('CancelTask'),
  runId: id,
  stepId: z.string().optional(),
  attempt: z.number().int().optional(),
  reason: z.string(),
  at: ms,
});

const RetryScheduledDataSchema = z.object({
  stepId: z.string(),
  attempt: z.number().int(),
  nextAttempt: z.number().int(),
  jitter: JitterSchema,
  baseDelayMs: z.number(),
  jitterMs: z.number(),
  delayMs: z.number(),
  dueAt: ms,
  retryAfterMs: z.number().optional(),
});

const ev = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({ runId: id, seq: z.number().int().min(1), type: z.literal(type), at: ms, data });
const stepAttempt = { stepId: z.string(), attempt: z.number().int() };
/** The start of an attempt that the worker reported with its result (see StepSucceeded). */
const reportedStart = { workerId: z.string().optional(), startedAt: ms.optional() };
const SkipCauseSchema = z.enum(['condition', 'branch', 'failure']);

const RunStartedDataSchema = z.object({
  workflow: z.string(),
  version: z.number().int(),
  input: z.unknown().optional(),
  definition: WorkflowDefinitionSchema,
  parentRunId: z.string().optional(),
  parentStepId: z.string().optional(),
  priority: z.number().int().min(1).max(3).optional(),
  rerunOf: z.object({ runId: z.string(), fromStep: z.string() }).optional(),
  concurrencyKey: z.string().optional(),
});

export const RunEventSchema = z.discriminatedUnion('type', [
  ev('RunStarted', RunStartedDataSchema),
  ev('RunQueued', z.object({ key: z.string(), limit: z.number().int(), policy: ConcurrencySchema.shape.policy.unwrap(), reason: z.string() })),
  ev('RunAdmitted', z.object({ key: z.string(), waitedMs: z.number() })),
  ev('StepScheduled', z.object({ ...stepAttempt, task: z.string(), queue: z.string(), input: z.unknown().optional() })),
  ev('StepStarted', z.object({ ...stepAttempt, workerId: z.string(), redelivery: z.object({ previousWorkerId: z.string() }).optional(), startedAt: ms.optional() })),
  ev('StepProgress', z.object({ ...stepAttempt, fraction: z.number(), message: z.string().optional() })),
  ev('StepLog', z.object({ ...stepAttempt, level: LogLevelSchema, message: z.string(), fields: z.record(z.string(), z.unknown()).optional() })),
  ev('StepSucceeded', z.object({ ...stepAttempt, output: z.unknown().optional(), ...reportedStart })),
  ev('AttemptFailed', z.object({ ...stepAttempt, error: ErrorInfoSchema, reason: z.enum(['error', 'timeout', 'heartbeat-timeout']), ...reportedStart })),
  ev('RetryScheduled', RetryScheduledDataSchema),
  ev('StepFailed', z.object({ stepId: z.string(), attempts: z.number().int(), error: ErrorInfoSchema })),
  ev('StepReused', z.object({ stepId: z.string(), fromRunId: z.string(), output: z.unknown().optional() })),
  ev('StepSkipped', z.object({ stepId: z.string(), reason: z.string(), cause: SkipCauseSchema.optional() })),
  ev('ForEachExpanded', z.object({ stepId: z.string(), count: z.number().int().min(0) })),
  ev('StepSleeping', z.object({ ...stepAttempt, until: ms })),
  ev('StepWaiting', z.object({ ...stepAttempt, signal: z.string(), timeoutAt: ms.optional() })),
  ev('SignalReceived', z.object({ name: z.string(), payload: z.unknown().optional(), stepId: z.string().optional() })),
  ev('ChildRunStarted', z.object({ ...stepAttempt, childRunId: z.string(), workflow: z.string(), version: z.number().int().optional() })),
  ev('StepCancelled', z.object({ stepId: z.string(), attempt: z.number().int().optional(), reason: z.string() })),
  ev('RunSucceeded', z.object({ output: z.unknown().optional() })),
  ev('RunFailed', z.object({ error: ErrorInfoSchema, failedSteps: z.array(z.string()) })),
  ev('RunCancelled', z.object({ reason: z.string() })),
  ev('RunRetried', z.object({ steps: z.array(z.string()) })),
]);

/**
 * StartRun and RunStarted for a definition validated before (the codec keeps those it validated):
 * every other field is checked, the definition only for being an object.
 */
const validatedDefinition = z.custom<WorkflowDefinition>((d) => typeof d === 'object' && d !== null && !Array.isArray(d), { error: 'must be a workflow definition' });
export const StartRunOfValidatedSchema = StartRunSchema.extend({ definition: validatedDefinition });
export const RunStartedOfValidatedSchema = ev('RunStarted', RunStartedDataSchema.extend({ definition: validatedDefinition }));

const AttemptViewSchema = z.object({
  attempt: z.number().int(),
  status: z.enum(['SCHEDULED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']),
  scheduledAt: ms,
  startedAt: ms.optional(),
  endedAt: ms.optional(),
  workerId: z.string().optional(),
  output: z.unknown().optional(),
  error: ErrorInfoSchema.optional(),
  progress: z.object({ fraction: z.number(), message: z.string().optional() }).optional(),
  retry: RetryScheduledDataSchema.optional(),
});

const stepViewFields = {
  status: z.enum(['PENDING', 'SCHEDULED', 'RUNNING', 'RETRY_WAIT', 'SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED']),
  task: z.string(),
  dependsOn: z.array(z.string()),
  attempts: z.array(AttemptViewSchema),
  output: z.unknown().optional(),
  error: ErrorInfoSchema.optional(),
  nextRetryAt: ms.optional(),
  skip: z.object({ cause: SkipCauseSchema, reason: z.string() }).optional(),
  wakeAt: ms.optional(),
  waitingFor: z.object({ signal: z.string(), timeoutAt: ms.optional() }).optional(),
  childRunId: z.string().optional(),
};
/** The items of a forEach step are steps themselves, one level deep. */
const StepViewSchema = z.object({ ...stepViewFields, items: z.array(z.object(stepViewFields)).optional() });

/** Why a PENDING run waits: its workflow's concurrency limit for this key is reached. */
export const RunQueuedSchema = z.object({ key: z.string(), limit: z.number().int(), policy: ConcurrencySchema.shape.policy.unwrap(), reason: z.string(), since: ms });

export const RunViewSchema = z.object({
  runId: id,
  workflow: z.string(),
  version: z.number().int(),
  status: z.enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  error: ErrorInfoSchema.optional(),
  createdAt: ms,
  updatedAt: ms,
  lastSeq: z.number().int().min(0),
  definition: WorkflowDefinitionSchema,
  steps: z.record(z.string(), StepViewSchema),
  parentRunId: z.string().optional(),
  parentStepId: z.string().optional(),
  rerunOf: z.object({ runId: z.string(), fromStep: z.string() }).optional(),
  priority: z.number().int().min(1).max(3).optional(),
  concurrencyKey: z.string().optional(),
  queued: RunQueuedSchema.optional(),
});

const TimerSchema = z.object({
  id: z.string(),
  kind: z.enum(['retry', 'timeout', 'heartbeat', 'sleep', 'signal']),
  stepId: z.string(),
  attempt: z.number().int(),
  dueAt: ms,
  armed: z.number().int().positive().optional(),
});

/** A whole run state (tests and tools; `orch.state` holds the parts of SnapshotRecordSchema). */
export const RunStateSchema = RunViewSchema.extend({
  timers: z.array(TimerSchema),
  lastDelayMs: z.record(z.string(), z.number()),
  attemptBase: z.record(z.string(), z.number().int()).optional(),
  applied: z.record(z.string(), z.number()).optional(),
  stateVersion: z.number().optional(),
  epoch: z.number().optional(),
  trace: z.record(z.string(), z.string()).optional(),
  signals: z.array(z.object({ name: z.string(), payload: z.unknown().optional(), at: ms })).optional(),
  forEachLists: z.record(z.string(), z.array(z.unknown())).optional(),
  stateLayout: z.object({ homes: z.record(z.string(), z.string()), keys: z.array(z.string()) }).optional(),
});

// ---- the parts of a run on orch.state (see run/snapshot.ts) ---------------------------------
// Loose objects: fields added within version 1 (new step or run bookkeeping) survive a restore.

const AttemptControlSchema = z.looseObject({ attempt: z.number().int(), status: AttemptViewSchema.shape.status });
const StepControlShape = {
  status: StepViewSchema.shape.status,
  attempts: z.array(AttemptControlSchema),
  items: z.array(z.looseObject({ status: StepViewSchema.shape.status, task: z.string(), dependsOn: z.array(z.string()), attempts: z.array(AttemptControlSchema) })).optional(),
  error: ErrorInfoSchema.optional(),
  nextRetryAt: ms.optional(),
  timers: z.array(TimerSchema).optional(),
  lastDelayMs: z.record(z.string(), z.number()).optional(),
  attemptBase: z.record(z.string(), z.number().int()).optional(),
};

export const SnapshotRecordSchema = z.discriminatedUnion('kind', [
  z.looseObject({
    kind: z.literal('run'),
    runId: id,
    workflow: z.string(),
    version: z.number().int(),
    digest: z.string(),
    status: RunViewSchema.shape.status,
    error: ErrorInfoSchema.optional(),
    createdAt: ms,
    updatedAt: ms,
    lastSeq: z.number().int().min(0),
    applied: z.record(z.string(), z.number()).optional(),
    stateVersion: z.number().optional(),
    epoch: z.number().optional(),
    steps: z.record(z.string(), z.looseObject(StepControlShape)).optional(),
    values: z.object({ input: z.unknown().optional(), outputs: z.record(z.string(), z.unknown()).optional() }).optional(),
  }),
  z.looseObject({
    kind: z.literal('step'),
    ...StepControlShape,
    with: z.record(z.string(), z.looseObject(StepControlShape)).optional(),
    lastSeq: z.number().int().min(0).optional(),
    updatedAt: ms.optional(),
    applied: z.record(z.string(), z.number()).optional(),
    stateVersion: z.number().optional(),
  }),
  z.object({ kind: z.literal('input'), input: z.unknown().optional() }),
  z.object({ kind: z.literal('output'), output: z.unknown().optional() }),
  z.object({ kind: z.literal('definition'), digest: z.string(), definition: WorkflowDefinitionSchema }),
  z.looseObject({
    kind: z.literal('gate'),
    id,
    workflow: z.string(),
    key: z.string(),
    limit: z.number().int().min(1),
    policy: ConcurrencySchema.shape.policy.unwrap(),
    active: z.array(z.object({ runId: id, since: ms, cancelling: z.boolean().optional() })),
    waiting: z.array(z.object({ runId: id, since: ms })),
    applied: z.record(z.string(), z.number()).optional(),
    stateVersion: z.number().optional(),
  }),
  z
    .object({ kind: z.literal('order'), first: z.string(), gaps: z.array(z.number().int()).optional(), upTo: z.array(z.number().int().min(0)).optional() })
    .refine((r) => (r.gaps === undefined) !== (r.upTo === undefined), { message: 'an order record holds either gaps or upTo', path: ['gaps'] }),
]);

export { RegisteredWorkflowSchema };
