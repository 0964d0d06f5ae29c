/**
 * zod schemas of a workflow definition: the structural half of validation (types, ranges,
 * patterns, unknown keys). The graph checks (ids, cycles, templates) live in validate.ts.
 */
import { z } from 'zod';
import type { RetryPolicy, StepDefinition, WorkflowDefinition } from './types.js';
import {
  DEFAULT_RETRY_POLICY,
  DEFINITION_LIMITS as L,
  QUEUE_PATTERN,
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

export const StepDefinitionSchema = z.strictObject({
  id: StepIdSchema,
  task: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(L.maxTaskLength, { error: `must be at most ${L.maxTaskLength} characters` }),
  dependsOn: z.array(z.string({ error: 'must be a string' })).max(L.maxSteps).optional(),
  input: z.unknown().optional(),
  retry: RetryPolicySchema.optional(),
  timeoutMs: intIn(1, L.maxTimeoutMs).optional(),
  heartbeatTimeoutMs: intIn(1, L.maxTimeoutMs).optional(),
  queue: z
    .string({ error: 'must be a string' })
    .regex(QUEUE_PATTERN, { error: 'must be lowercase letters, digits, ".", "_" or "-" (at most 64)' })
    .optional(),
}) satisfies z.ZodType<StepDefinition>;

export const WorkflowDefinitionSchema = z.strictObject({
  name: z
    .string({ error: 'must be a string' })
    .regex(WORKFLOW_NAME_PATTERN, { error: 'must start with a letter and hold only letters, digits, ".", "_" and "-" (at most 64)' }),
  description: z.string({ error: 'must be a string' }).max(L.maxDescriptionLength).optional(),
  steps: z
    .array(StepDefinitionSchema, { error: 'must be an array of steps' })
    .min(1, { error: 'must hold at least 1 step' })
    .max(L.maxSteps, { error: `must hold at most ${L.maxSteps} steps` }),
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
