/**
 * `${...}` templates in step inputs and the workflow output.
 *
 * Grammar of an expression: a root (`input`, `steps.<id>.output`, or in a forEach step `item` and
 * `index`) followed by any number of
 * `.key` or `[index]` accessors, e.g. `input.items[0].url` or `steps.fetch.output.body`.
 * A string that is exactly one template keeps the referenced value's type; otherwise each
 * template is interpolated as text (objects as JSON, a missing value as '').
 */
import { resolveClaim } from './payload.js';

export interface TemplateScope {
  input: unknown;
  steps: Record<string, { output?: unknown }>;
  /** Inside a forEach step: the current element and its position. */
  item?: unknown;
  index?: number;
}

export type TemplateRoot = 'input' | 'steps' | 'item' | 'index';

export interface TemplateReference {
  /** Where in the templated value the string sits, e.g. `url` or `a[0]` ('' for the value itself). */
  path: string;
  /** The expression between `${` and `}`, trimmed. */
  expr: string;
  root: TemplateRoot;
  /** For `steps.<id>.output…` references. */
  stepId?: string;
}

export interface TemplateError {
  path: string;
  message: string;
}

type Segment = string | number;
interface ParsedExpr {
  root: TemplateRoot;
  stepId?: string;
  /** Accessors applied to `input` or to the step's output. */
  segments: Segment[];
}
type Part = { text: string } | { expr: string; parsed: ParsedExpr | undefined };

const KEY = /^[A-Za-z0-9_$-]+/;
const INDEX = /^\[(\d+)\]/;

/** Parses an expression; returns an error message when it is malformed. */
function parseExpr(expr: string): ParsedExpr | string {
  if (expr === '') return 'empty template expression "${}"';
  const segments: Segment[] = [];
  const head = KEY.exec(expr);
  if (!head) return `malformed template expression "${expr}"`;
  segments.push(head[0]);
  let rest = expr.slice(head[0].length);
  while (rest.length > 0) {
    if (rest.startsWith('.')) {
      const key = KEY.exec(rest.slice(1));
      if (!key) return `malformed template expression "${expr}": expected a key after "."`;
      segments.push(key[0]);
      rest = rest.slice(1 + key[0].length);
      continue;
    }
    const index = INDEX.exec(rest);
    if (index) {
      segments.push(Number(index[1]));
      rest = rest.slice(index[0].length);
      continue;
    }
    return `malformed template expression "${expr}": unexpected "${rest}"`;
  }
  const [root, ...tail] = segments;
  if (root === 'input' || root === 'item') return { root, segments: tail };
  if (root === 'index') {
    return tail.length === 0 ? { root, segments: [] } : `template "${expr}": "index" is a number and has no fields`;
  }
  if (root === 'steps') {
    const [stepId, output, ...more] = tail;
    if (typeof stepId !== 'string' || output !== 'output') {
      return `template "${expr}" must reference "steps.<id>.output"`;
    }
    return { root: 'steps', stepId, segments: more };
  }
  return `template "${expr}" references unknown root "${String(root)}": use "input", "steps.<id>.output", "item" or "index"`;
}

interface ParsedString {
  parts: Part[];
  errors: string[];
}

function parseString(s: string): ParsedString {
  const parts: Part[] = [];
  const errors: string[] = [];
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf('${', i);
    if (open < 0) {
      parts.push({ text: s.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: s.slice(i, open) });
    const close = s.indexOf('}', open + 2);
    if (close < 0) {
      errors.push(`unclosed "\${" at offset ${open}`);
      parts.push({ text: s.slice(open) });
      break;
    }
    const expr = s.slice(open + 2, close).trim();
    const parsed = parseExpr(expr);
    if (typeof parsed === 'string') {
      errors.push(parsed);
      parts.push({ expr, parsed: undefined });
    } else {
      parts.push({ expr, parsed });
    }
    i = close + 1;
  }
  return { parts, errors };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Joins a path prefix and a child accessor: `a` + `b` → `a.b`, `a` + `[0]` → `a[0]`. */
export function joinPath(prefix: string, child: string | number): string {
  if (typeof child === 'number') return `${prefix}[${child}]`;
  return prefix === '' ? child : `${prefix}.${child}`;
}

function walkStrings(value: unknown, path: string, visit: (s: string, path: string) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, joinPath(path, i), visit));
  else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) walkStrings(v, joinPath(path, k), visit);
  }
}

/** Every template in a value, and every malformed one, with the path of the string holding it. */
export function scanTemplates(value: unknown): { references: TemplateReference[]; errors: TemplateError[] } {
  const references: TemplateReference[] = [];
  const errors: TemplateError[] = [];
  walkStrings(value, '', (s, path) => {
    if (!s.includes('${')) return;
    const parsed = parseString(s);
    for (const message of parsed.errors) errors.push({ path, message });
    for (const part of parsed.parts) {
      if ('expr' in part && part.parsed) {
        references.push({
          path,
          expr: part.expr,
          root: part.parsed.root,
          ...(part.parsed.stepId === undefined ? {} : { stepId: part.parsed.stepId }),
        });
      }
    }
  });
  return { references, errors };
}

/** Every well-formed template reference in a value. */
export function templateReferences(value: unknown): TemplateReference[] {
  return scanTemplates(value).references;
}

function lookup(parsed: ParsedExpr, scope: TemplateScope): unknown {
  let current: unknown;
  if (parsed.root === 'input') current = scope.input;
  else if (parsed.root === 'item') current = scope.item;
  else if (parsed.root === 'index') current = scope.index;
  else {
    const steps = scope.steps;
    const id = parsed.stepId ?? '';
    current = Object.hasOwn(steps, id) ? steps[id]?.output : undefined;
  }
  for (const seg of parsed.segments) {
    // A claim-checked value is fetched only when a template looks inside it.
    current = resolveClaim(current);
    if (typeof seg === 'number') {
      current = Array.isArray(current) ? current[seg] : undefined;
    } else if (isPlainObject(current) || Array.isArray(current)) {
      // Own properties only: a template must never reach into a prototype.
      current = Object.hasOwn(current, seg) ? (current as Record<string, unknown>)[seg] : undefined;
    } else {
      return undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

function toText(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function resolveString(s: string, scope: TemplateScope): unknown {
  if (!s.includes('${')) return s;
  const { parts, errors } = parseString(s);
  // Malformed templates are left as written: validation rejects them before a run starts.
  if (errors.length > 0) return s;
  const [only] = parts;
  if (parts.length === 1 && only !== undefined && 'expr' in only && only.parsed) {
    return lookup(only.parsed, scope);
  }
  let out = '';
  for (const part of parts) {
    if ('text' in part) out += part.text;
    else if (part.parsed) out += toText(resolveClaim(lookup(part.parsed, scope)));
  }
  return out;
}

/**
 * Resolves every template in a value (deeply, through objects and arrays). Returns a new value;
 * the argument is not modified.
 */
export function resolveTemplates(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === 'string') return resolveString(value, scope);
  if (Array.isArray(value)) return value.map((v) => resolveTemplates(v, scope));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveTemplates(v, scope);
    return out;
  }
  return value;
}
