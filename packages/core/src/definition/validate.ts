/**
 * Full validation of a workflow definition: the zod schema (types, ranges, unknown keys) plus
 * the graph rules (unique ids, known dependencies, no cycles, templates that reference only
 * ancestors). Every issue is reported, each with the path of the offending field.
 */
import { ErrorCode, OrchError } from '../errors.js';
import { joinPath, scanTemplates } from '../template.js';
import { ancestorsOf, findCycles } from './graph.js';
import { concurrencyKeyIssues, EXPRESSION_FIELDS, expressionIssues } from './expressions.js';
import { WorkflowDefinitionSchema, formatZodIssues } from './schema.js';
import type { StepDefinition, WorkflowDefinition } from './types.js';

export interface ValidationIssue {
  /** Where the problem is, e.g. `steps[2].retry.maxAttempts` or `steps[3].input.url`. */
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; definition: WorkflowDefinition } | { ok: false; issues: ValidationIssue[] };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The steps of a raw input that are well-formed enough for the graph checks. */
function graphSteps(input: unknown): { index: number; step: StepDefinition }[] {
  if (!isRecord(input) || !Array.isArray(input.steps)) return [];
  const out: { index: number; step: StepDefinition }[] = [];
  input.steps.forEach((raw: unknown, index) => {
    if (!isRecord(raw) || typeof raw.id !== 'string') return;
    const dependsOn = Array.isArray(raw.dependsOn) ? raw.dependsOn.filter((d): d is string => typeof d === 'string') : [];
    const step: StepDefinition = { id: raw.id, dependsOn, input: raw.input };
    for (const field of EXPRESSION_FIELDS) if (typeof raw[field] === 'string') step[field] = raw[field];
    out.push({ index, step });
  });
  return out;
}

/** The well-formed steps of a definition, each id's first declaration, and the steps that declare an id first. */
interface Graph {
  steps: { index: number; step: StepDefinition }[];
  firstIndex: Map<string, number>;
  unique: StepDefinition[];
}

function duplicateIdIssues(graph: Graph): ValidationIssue[] {
  return graph.steps
    .filter(({ index, step }) => graph.firstIndex.get(step.id) !== index)
    .map(({ index, step }) => ({ path: `steps[${index}].id`, message: `duplicate step id "${step.id}" (first declared at steps[${graph.firstIndex.get(step.id)}])` }));
}

function dependencyIssues({ steps, firstIndex }: Graph): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const { index, step } of steps) {
    const seen = new Set<string>();
    (step.dependsOn ?? []).forEach((dep, k) => {
      const path = `steps[${index}].dependsOn[${k}]`;
      if (dep === step.id) issues.push({ path, message: `step "${step.id}" depends on itself` });
      else if (!firstIndex.has(dep)) issues.push({ path, message: `unknown step "${dep}"` });
      else if (seen.has(dep)) issues.push({ path, message: `"${dep}" is listed twice` });
      seen.add(dep);
    });
  }
  return issues;
}

function cycleIssues({ unique, firstIndex }: Graph): ValidationIssue[] {
  return findCycles({ steps: unique }).map((cycle) => {
    const at = cycle[cycle.length - 1] ?? '';
    return { path: `steps[${firstIndex.get(at) ?? 0}].dependsOn`, message: `cycle: ${cycle.join(' -> ')}` };
  });
}

/** The step whose input holds templates, and the steps it depends on, transitively: the only ones it may read. */
interface Reader {
  id: string;
  forEach: boolean;
  ancestors: ReadonlySet<string>;
}

/**
 * What is wrong with the templates of one value: its syntax, `item` and `index` outside a
 * forEach, unknown steps and, in a step's input, steps it does not depend on.
 */
function templateIssues(value: unknown, prefix: string, firstIndex: ReadonlyMap<string, number>, reader?: Reader): ValidationIssue[] {
  const { references, errors } = scanTemplates(value);
  const issues: ValidationIssue[] = errors.map((e) => ({ path: joinTemplatePath(prefix, e.path), message: e.message }));
  for (const ref of references) {
    const path = joinTemplatePath(prefix, ref.path);
    if ((ref.root === 'item' || ref.root === 'index') && reader?.forEach !== true) {
      issues.push({ path, message: `template "\${${ref.expr}}" is only defined in a step with forEach` });
    }
    if (ref.root !== 'steps' || ref.stepId === undefined) continue;
    if (!firstIndex.has(ref.stepId)) {
      issues.push({ path, message: `template "\${${ref.expr}}" references unknown step "${ref.stepId}"` });
    } else if (reader !== undefined && (!reader.ancestors.has(ref.stepId) || ref.stepId === reader.id)) {
      issues.push({ path, message: `dangling reference: template "\${${ref.expr}}" uses step "${ref.stepId}", which is not a (transitive) dependency of "${reader.id}"` });
    }
  }
  return issues;
}

function stepTemplateIssues({ steps, firstIndex, unique }: Graph): ValidationIssue[] {
  return steps.flatMap(({ index, step }) => {
    if (step.input === undefined) return [];
    const reader: Reader = { id: step.id, forEach: step.forEach !== undefined, ancestors: ancestorsOf({ steps: unique }, step.id) };
    return templateIssues(step.input, `steps[${index}].input`, firstIndex, reader);
  });
}

function graphIssues(input: unknown): ValidationIssue[] {
  const steps = graphSteps(input);
  const firstIndex = new Map<string, number>();
  for (const { index, step } of steps) if (!firstIndex.has(step.id)) firstIndex.set(step.id, index);
  const graph: Graph = { steps, firstIndex, unique: steps.filter(({ index, step }) => firstIndex.get(step.id) === index).map((s) => s.step) };
  const issues = [...duplicateIdIssues(graph), ...dependencyIssues(graph), ...cycleIssues(graph), ...stepTemplateIssues(graph)];
  for (const { index, step } of steps) {
    issues.push(...expressionIssues(step, `steps[${index}]`, firstIndex, ancestorsOf({ steps: graph.unique }, step.id)));
  }
  if (isRecord(input) && isRecord(input.concurrency)) issues.push(...concurrencyKeyIssues(input.concurrency.key));
  if (isRecord(input) && input.output !== undefined) issues.push(...templateIssues(input.output, 'output', firstIndex));
  return issues;
}

function joinTemplatePath(prefix: string, path: string): string {
  if (path === '') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : joinPath(prefix, path);
}

/** Validates a definition and reports every issue, not only the first. */
export function validateDefinition(input: unknown): ValidationResult {
  const parsed = WorkflowDefinitionSchema.safeParse(input);
  const issues: ValidationIssue[] = parsed.success ? [] : formatZodIssues(parsed.error);
  issues.push(...graphIssues(input));
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };
  return { ok: true, definition: parsed.data };
}

/** Formats issues for an error message: `steps[1].id: duplicate step id "a"; …`. */
export function formatIssues(issues: readonly ValidationIssue[], max = 5): string {
  const shown = issues.slice(0, max).map((i) => `${i.path || '(root)'}: ${i.message}`);
  if (issues.length > max) shown.push(`and ${issues.length - max} more`);
  return shown.join('; ');
}

/** Validates and returns the definition; throws OrchError ORCH_INVALID_DEFINITION with `details.issues`. */
export function parseDefinition(input: unknown): WorkflowDefinition {
  const result = validateDefinition(input);
  if (!result.ok) {
    throw new OrchError(ErrorCode.InvalidDefinition, `invalid workflow definition: ${formatIssues(result.issues)}`, {
      issues: result.issues,
    });
  }
  return result.definition;
}
