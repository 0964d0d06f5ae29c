/**
 * The options of each role and bus (the gateway, the orchestrator, the worker, the transports) are
 * checked by a zod schema of their own, with their defaults; an invalid one is refused here with
 * one error that lists every invalid field.
 */
import { z } from 'zod';
import { formatPath } from './definition/schema.js';
import { ErrorCode, OrchError } from './errors.js';

/** An invalid option: the field it names (`auth.tokens[0].scope`) and what is wrong with it. */
export interface OptionIssue {
  field: string;
  message: string;
}

/**
 * `options` checked against `schema`, its defaults filled in; otherwise an ORCH_CONFIG error whose
 * message lists every invalid field (`invalid worker options: concurrency must be …; tasks …`) and
 * whose `details.issues` holds them as `OptionIssue`s.
 */
export function parseOptions<S extends z.ZodType>(what: string, schema: S, options: unknown): z.output<S> {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const issues: OptionIssue[] = parsed.error.issues.map((issue) => ({ field: formatPath(issue.path), message: issue.message }));
  throw new OrchError(ErrorCode.Config, `invalid ${what} options: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`, { issues });
}

/** An option that must be an object (a transport, say); `error` says what it is when it is not. */
export function objectOption<T>(error: string) {
  return z.custom<T>((value) => typeof value === 'object' && value !== null, { error });
}

/** An option that must be a function (a clock, say). */
export function functionOption<T>() {
  return z.custom<T>((value) => typeof value === 'function', { error: 'must be a function' });
}

/** A duration option in ms, 0 or more. */
export function durationOption() {
  return z.number({ error: (issue) => `must be a duration of 0 ms or more, got ${String(issue.input)}` }).min(0);
}

/** An integer option of at least `min` (and at most `max`); its error names the value given. */
export function integerOption(min: number, max?: number) {
  const range = max === undefined ? `>= ${min}` : `from ${min} to ${max}`;
  // Not `.int()`: its failure stops the checks of several options together (`superRefine` with `when`).
  const schema = z.number({ error: (issue) => `must be an integer ${range}, got ${String(issue.input)}` }).refine(Number.isInteger).min(min);
  return max === undefined ? schema : schema.max(max);
}
