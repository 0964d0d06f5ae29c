/**
 * Validation of the CEL expressions of a step (`if`, `forEach`, `until`): each must parse, read
 * only the variables `input`, `steps` and `run`, and name only steps it depends on, directly or
 * transitively — any other step has not ended when the expression is evaluated.
 */
import { CEL_BUILTIN_IDENTIFIERS, CEL_VARIABLES, celReferences, parseCel } from '../expression/cel.js';
import type { StepDefinition } from './types.js';

export const EXPRESSION_FIELDS = ['if', 'forEach', 'until'] as const;
export type ExpressionField = (typeof EXPRESSION_FIELDS)[number];

export interface ExpressionIssue {
  path: string;
  message: string;
}

export function expressionIssues(
  step: Pick<StepDefinition, 'id' | ExpressionField>,
  prefix: string,
  known: ReadonlyMap<string, number>,
  ancestors: ReadonlySet<string>,
): ExpressionIssue[] {
  const issues: ExpressionIssue[] = [];
  for (const field of EXPRESSION_FIELDS) {
    const source = step[field];
    if (typeof source !== 'string' || source === '') continue;
    const path = `${prefix}.${field}`;
    const parsed = parseCel(source);
    if (!parsed.ok) {
      issues.push({ path, message: `CEL syntax error: ${parsed.message}` });
      continue;
    }
    const refs = celReferences(parsed.expr);
    for (const variable of refs.variables) {
      if (!CEL_VARIABLES.includes(variable) && !CEL_BUILTIN_IDENTIFIERS.has(variable)) {
        issues.push({ path, message: `unknown variable "${variable}": use ${CEL_VARIABLES.join(', ')}` });
      }
    }
    for (const id of refs.steps) {
      if (!known.has(id)) issues.push({ path, message: `unknown step "${id}"` });
      else if (id === step.id || !ancestors.has(id)) {
        issues.push({ path, message: `step "${id}" is not a (transitive) dependency of "${step.id}": add it to dependsOn` });
      }
    }
  }
  return issues;
}

/** The variables a workflow's `concurrency.key` may read: it is evaluated when the run starts, before any step. */
export const CONCURRENCY_KEY_VARIABLES: readonly string[] = ['input', 'run'];

/** `concurrency.key` must parse and read only `input` and `run`. */
export function concurrencyKeyIssues(source: unknown): ExpressionIssue[] {
  if (typeof source !== 'string' || source === '') return [];
  const path = 'concurrency.key';
  const parsed = parseCel(source);
  if (!parsed.ok) return [{ path, message: `CEL syntax error: ${parsed.message}` }];
  const issues: ExpressionIssue[] = [];
  const refs = celReferences(parsed.expr);
  for (const variable of refs.variables) {
    if (!CONCURRENCY_KEY_VARIABLES.includes(variable) && !CEL_BUILTIN_IDENTIFIERS.has(variable)) {
      const why = variable === 'steps' ? 'it is evaluated when the run starts, before any step' : `unknown variable "${variable}"`;
      issues.push({ path, message: `${why}: a concurrency key reads only ${CONCURRENCY_KEY_VARIABLES.join(' and ')}` });
    }
  }
  return issues;
}
