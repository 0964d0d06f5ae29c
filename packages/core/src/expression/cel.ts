/**
 * CEL (the Common Expression Language) for conditions, forEach lists and sleep deadlines, through
 * `@bufbuild/cel`, a maintained evaluator that runs the CEL conformance suite.
 *
 * Expressions are parsed once and their plans cached by source text. Evaluation never throws:
 * it answers a JSON-shaped value or an error message.
 */
import { celEnv, isCelError, isCelList, isCelMap, isCelUint, parse, plan } from '@bufbuild/cel';
import type { CelValue } from '@bufbuild/cel';
import { errorMessage } from '../errors.js';

type ParsedExpr = ReturnType<typeof parse>;
type Expr = ParsedExpr['expr'];

/** The variables an expression may name: `input`, `steps`, `run` (and nothing else at the top). */
export const CEL_VARIABLES: readonly string[] = ['input', 'steps', 'run'];

/** Identifiers CEL itself defines: the type names, usable as values (`type(x) == map`). */
export const CEL_BUILTIN_IDENTIFIERS: ReadonlySet<string> = new Set(['bool', 'bytes', 'double', 'int', 'uint', 'string', 'list', 'map', 'null_type', 'type', 'dyn']);

export type CelParse = { ok: true; expr: Expr } | { ok: false; message: string };

/** Parses an expression; a syntax error comes back as a message with its line and column. */
export function parseCel(source: string): CelParse {
  try {
    return { ok: true, expr: parse(source).expr };
  } catch (error) {
    return { ok: false, message: errorMessage(error) };
  }
}

export interface CelReferences {
  /** Top-level identifiers the expression reads (macro variables excluded). */
  variables: Set<string>;
  /** Step ids named as `steps.<id>` or `steps['<id>']`. */
  steps: Set<string>;
}

/** The free variables and the step ids an expression reads, found by walking its syntax tree. */
export function celReferences(expr: Expr): CelReferences {
  const refs: CelReferences = { variables: new Set(), steps: new Set() };
  walk(expr, new Set(), refs);
  return refs;
}

function walk(e: Expr | undefined, bound: ReadonlySet<string>, refs: CelReferences): void {
  if (e === undefined) return;
  const k = e.exprKind;
  switch (k.case) {
    case 'identExpr':
      if (!bound.has(k.value.name)) refs.variables.add(k.value.name);
      return;
    case 'selectExpr': {
      const operand = k.value.operand;
      if (operand?.exprKind.case === 'identExpr' && operand.exprKind.value.name === 'steps' && !bound.has('steps')) {
        refs.steps.add(k.value.field);
      }
      walk(operand, bound, refs);
      return;
    }
    case 'callExpr': {
      const [first, second] = k.value.args;
      if (k.value.function === '_[_]' && first?.exprKind.case === 'identExpr' && first.exprKind.value.name === 'steps' && !bound.has('steps')) {
        const c = second?.exprKind;
        if (c?.case === 'constExpr' && c.value.constantKind.case === 'stringValue') refs.steps.add(c.value.constantKind.value);
      }
      walk(k.value.target, bound, refs);
      for (const a of k.value.args) walk(a, bound, refs);
      return;
    }
    case 'listExpr':
      for (const el of k.value.elements) walk(el, bound, refs);
      return;
    case 'structExpr':
      for (const entry of k.value.entries) {
        if (entry.keyKind.case === 'mapKey') walk(entry.keyKind.value, bound, refs);
        walk(entry.value, bound, refs);
      }
      return;
    case 'comprehensionExpr': {
      const c = k.value;
      walk(c.iterRange, bound, refs);
      walk(c.accuInit, bound, refs);
      const inner = new Set([...bound, c.iterVar, c.accuVar, ...(c.iterVar2 ? [c.iterVar2] : [])]);
      walk(c.loopCondition, inner, refs);
      walk(c.loopStep, inner, refs);
      walk(c.result, new Set([...bound, c.accuVar]), refs);
      return;
    }
    default:
      return;
  }
}

const env = celEnv();
type Program = ReturnType<typeof plan>;
const MAX_CACHED = 1000;
const programs = new Map<string, Program>();

function program(source: string): Program {
  let p = programs.get(source);
  if (p === undefined) {
    p = plan(env, parse(source));
    if (programs.size >= MAX_CACHED) programs.delete(programs.keys().next().value as string);
    programs.set(source, p);
  }
  return p;
}

export type CelOutcome = { ok: true; value: unknown } | { ok: false; message: string };

/** Evaluates an expression over JSON-shaped variables; the value comes back JSON-shaped too. */
export function evaluateCel(source: string, variables: Record<string, unknown>): CelOutcome {
  let result: CelValue | Error;
  try {
    result = program(source)(variables as never);
  } catch (error) {
    return { ok: false, message: errorMessage(error) };
  }
  if (isCelError(result)) return { ok: false, message: result.message };
  return { ok: true, value: toJson(result) };
}

interface TimestampMessage {
  message: { $typeName: string; seconds: bigint; nanos: number };
}

function isWellKnown(v: unknown, typeName: string): v is TimestampMessage {
  if (typeof v !== 'object' || v === null || !('message' in v)) return false;
  const m = (v as { message: unknown }).message;
  return typeof m === 'object' && m !== null && (m as { $typeName?: unknown }).$typeName === typeName;
}

/** Epoch milliseconds of a CEL timestamp, or undefined when the value is not one. */
export function timestampMs(v: unknown): number | undefined {
  if (!isWellKnown(v, 'google.protobuf.Timestamp')) return undefined;
  return Number(v.message.seconds) * 1000 + Math.floor(v.message.nanos / 1e6);
}

/**
 * A CEL value as JSON: ints become numbers, lists arrays, maps objects, a timestamp its
 * RFC 3339 string and a duration its milliseconds.
 */
export function toJson(v: unknown): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (isCelUint(v)) return Number(v.value);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (isCelList(v)) return [...v].map(toJson);
  if (isCelMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of v) out[String(isCelUint(key) ? key.value : key)] = toJson(value);
    return out;
  }
  const ms = timestampMs(v);
  if (ms !== undefined) return new Date(ms).toISOString();
  if (isWellKnown(v, 'google.protobuf.Duration')) return Number(v.message.seconds) * 1000 + Math.floor(v.message.nanos / 1e6);
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([key, value]) => [key, toJson(value)]));
  return null;
}
