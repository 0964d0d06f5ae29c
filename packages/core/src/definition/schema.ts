/**
 * zod schemas of a workflow definition: the structural half of validation (types, ranges,
 * patterns, unknown keys). The graph checks (ids, cycles, templates) live in validate.ts.
 */
import { z } from 'zod';
import { CONCURRENCY_POLICIES } from './types.js';
import type { ConcurrencyPolicy, ConcurrencySpec, RetryPolicy, StepDefinition, StepType, WorkflowDefinition } from './types.js';
import {
  DEFAULT_RETRY_POLICY,
  DEFINITION_LIMITS as L,
  QUEUE_PATTERN,
  SIGNAL_PATTERN,
  STEP_ID_PATTERN,
  WORKFLOW_NAME_PATTERN,
} from './defaults.js';

const intIn = (min: number, max: number) =>
  z
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(min, { error: `must be >= ${min}` })
    .max(max, { error: `must be <= ${max}` });

export const JitterSchema = z.enum(['full', 'equal', 'decorrelated', 'none'], {
  error: 'must be one of full, equal, decorrelated, none',
});

export const RetryPolicySchema = z
  .strictObject({
    maxAttempts: intIn(1, L.maxAttempts),
    initialIntervalMs: intIn(0, L.maxIntervalMs),
    backoffCoefficient: z
      .number({ error: 'must be a number' })
      .min(1, { error: 'must be >= 1' })
      .max(L.maxBackoffCoefficient, { error: `must be <= ${L.maxBackoffCoefficient}` }),
    maxIntervalMs: intIn(0, L.maxIntervalMs),
    jitter: JitterSchema,
    nonRetryableErrors: z.array(z.string().min(1, { error: 'must not be empty' }).max(200)).max(100),
  })
  .partial()
  .superRefine((p, ctx) => {
    const initial = p.initialIntervalMs ?? DEFAULT_RETRY_POLICY.initialIntervalMs;
    const max = p.maxIntervalMs ?? DEFAULT_RETRY_POLICY.maxIntervalMs;
    if (max < initial) {
      const which = p.maxIntervalMs === undefined ? 'maxIntervalMs (default)' : 'maxIntervalMs';
      ctx.addIssue({
        code: 'custom',
        path: [p.maxIntervalMs === undefined ? 'initialIntervalMs' : 'maxIntervalMs'],
        message: `${which} ${max} must be >= initialIntervalMs ${initial}`,
      });
    }
  }) satisfies z.ZodType<Partial<RetryPolicy>>;

export const StepIdSchema = z
  .string({ error: 'must be a string' })
  .regex(STEP_ID_PATTERN, { error: 'must start with a letter and hold only letters, digits, "_" and "-" (at most 64)' });

const celSource = z
  .string({ error: 'must be a string holding a CEL expression' })
  .min(1, { error: 'must not be empty' })
  .max(L.maxExpressionLength, { error: `must be at most ${L.maxExpressionLength} characters` });

/** Fields that only some step types accept, with the types that accept them. */
const TYPE_FIELDS: Record<string, readonly StepType[]> = {
  task: ['task'],
  queue: ['task'],
  heartbeatTimeoutMs: ['task'],
  forEach: ['task'],
  maxParallel: ['task'],
  retry: ['task', 'workflow'],
  input: ['task', 'workflow'],
  durationMs: ['sleep'],
  until: ['sleep'],
  signal: ['wait'],
  workflow: ['workflow'],
  version: ['workflow'],
  timeoutMs: ['task', 'wait'],
};

function checkStepType(step: StepDefinition, ctx: z.RefinementCtx): void {
  const type = step.type ?? 'task';
  for (const [field, types] of Object.entries(TYPE_FIELDS)) {
    if ((step as unknown as Record<string, unknown>)[field] !== undefined && !types.includes(type)) {
      ctx.addIssue({ code: 'custom', path: [field], message: `not allowed on a ${type} step (only on ${types.join(', ')} steps)` });
    }
  }
  const require = (field: keyof StepDefinition, what: string): void => {
    if (step[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `required on a ${type} step: ${what}` });
  };
  if (type === 'task') require('task', 'the task name a worker registered');
  if (type === 'wait') require('signal', 'the name of the signal to wait for');
  if (type === 'workflow') require('workflow', 'the name of the child workflow');
  if (type === 'sleep' && (step.durationMs === undefined) === (step.until === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['durationMs'], message: 'a sleep step takes exactly one of durationMs and until' });
  }
  if (step.maxParallel !== undefined && step.forEach === undefined) {
    ctx.addIssue({ code: 'custom', path: ['maxParallel'], message: 'only allowed together with forEach' });
  }
}

export const StepDefinitionSchema = z
  .strictObject({
    id: StepIdSchema,
    type: z.enum(['task', 'sleep', 'wait', 'workflow'], { error: 'must be one of task, sleep, wait, workflow' }).optional(),
    task: z
      .string({ error: 'must be a string' })
      .min(1, { error: 'must not be empty' })
      .max(L.maxTaskLength, { error: `must be at most ${L.maxTaskLength} characters` })
      .optional(),
    dependsOn: z.array(z.string({ error: 'must be a string' })).max(L.maxSteps).optional(),
    input: z.unknown().optional(),
    retry: RetryPolicySchema.optional(),
    timeoutMs: intIn(1, L.maxTimeoutMs).optional(),
    heartbeatTimeoutMs: intIn(1, L.maxTimeoutMs).optional(),
    queue: z
      .string({ error: 'must be a string' })
      .regex(QUEUE_PATTERN, { error: 'must be lowercase letters, digits, ".", "_" or "-" (at most 64)' })
      .optional(),
    if: celSource.optional(),
    forEach: celSource.optional(),
    maxParallel: intIn(1, L.maxForEachItems).optional(),
    durationMs: intIn(0, L.maxSleepMs).optional(),
    until: celSource.optional(),
    signal: z
      .string({ error: 'must be a string' })
      .regex(SIGNAL_PATTERN, { error: 'must start with a letter and hold only letters, digits, ".", "_" and "-" (at most 64)' })
      .optional(),
    workflow: z
      .string({ error: 'must be a string' })
      .regex(WORKFLOW_NAME_PATTERN, { error: 'must start with a letter and hold only letters, digits, ".", "_" and "-" (at most 64)' })
      .optional(),
    version: intIn(1, Number.MAX_SAFE_INTEGER).optional(),
  })
  .superRefine(checkStepType) satisfies z.ZodType<StepDefinition>;

export const ConcurrencySchema = z.strictObject({
  key: celSource,
  limit: intIn(1, L.maxConcurrencyLimit),
  policy: z.enum(CONCURRENCY_POLICIES as unknown as [ConcurrencyPolicy, ...ConcurrencyPolicy[]], { error: `must be one of ${CONCURRENCY_POLICIES.join(', ')}` }).optional(),
}) satisfies z.ZodType<ConcurrencySpec>;

export const WorkflowDefinitionSchema = z.strictObject({
  name: z
    .string({ error: 'must be a string' })
    .regex(WORKFLOW_NAME_PATTERN, { error: 'must start with a letter and hold only letters, digits, ".", "_" and "-" (at most 64)' }),
  description: z.string({ error: 'must be a string' }).max(L.maxDescriptionLength).optional(),
  steps: z
    .array(StepDefinitionSchema, { error: 'must be an array of steps' })
    .min(1, { error: 'must hold at least 1 step' })
    .max(L.maxSteps, { error: `must hold at most ${L.maxSteps} steps` }),
  concurrency: ConcurrencySchema.optional(),
  output: z.unknown().optional(),
}) satisfies z.ZodType<WorkflowDefinition>;

export const RegisteredWorkflowSchema = z.object({
  name: z.string(),
  version: z.number().int().min(1),
  definition: WorkflowDefinitionSchema,
  registeredAt: z.number(),
  claim: z.string().min(1).max(200).optional(),
});

/** Formats a zod path as `steps[2].retry.maxAttempts`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

export interface FormattedIssue {
  path: string;
  message: string;
}

/** Flattens zod issues into `{path, message}`; each unknown key becomes its own issue. */
export function formatZodIssues(error: z.ZodError): FormattedIssue[] {
  const out: FormattedIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...issue.path, key]), message: 'unknown key' });
    } else {
      out.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return out;
}
