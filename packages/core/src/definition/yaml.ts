/** Definitions as text: JSON or YAML, parsed with line and column in every syntax error. */
import { parseDocument, YAMLParseError } from 'yaml';
import { ErrorCode, OrchError } from '../errors.js';
import type { WorkflowDefinition } from './types.js';
import { parseDefinition } from './validate.js';

export type DefinitionFormat = 'json' | 'yaml';

/** JSON when the first non-blank character opens an object or array; YAML otherwise. */
export function detectFormat(text: string): DefinitionFormat {
  const first = text.trimStart()[0];
  return first === '{' || first === '[' ? 'json' : 'yaml';
}

function syntaxError(format: DefinitionFormat, message: string, line?: number, col?: number): OrchError {
  const where = line === undefined ? '' : ` at line ${line}, column ${col ?? 1}`;
  return new OrchError(ErrorCode.InvalidDefinition, `${format.toUpperCase()} syntax error${where}: ${message}`, {
    ...(line === undefined ? {} : { line, column: col ?? 1 }),
  });
}

/** Line and column (1-based) of a character offset. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

function parseYaml(text: string, format: DefinitionFormat): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err instanceof YAMLParseError ? err.linePos?.[0] : undefined;
    const at = pos ?? (err.pos[0] >= 0 ? lineCol(text, err.pos[0]) : undefined);
    throw syntaxError(format, err.message.split('\n')[0] ?? err.message, at?.line, at?.col);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // JSON.parse names no line on Node 20: a YAML parse (JSON is YAML) locates the problem.
    const msg = (err as Error).message;
    const offset = /position (\d+)/.exec(msg)?.[1];
    if (offset !== undefined) {
      const { line, col } = lineCol(text, Number(offset));
      throw syntaxError('json', msg, line, col);
    }
    parseYaml(text, 'json');
    throw syntaxError('json', msg);
  }
}

/**
 * Parses and validates a definition written as JSON or YAML (detected when `format` is absent).
 * Throws OrchError ORCH_INVALID_DEFINITION for a syntax error (with line and column) or an
 * invalid definition (with `details.issues`).
 */
export function parseDefinitionText(text: string, format?: DefinitionFormat): WorkflowDefinition {
  if (text.trim() === '') throw new OrchError(ErrorCode.InvalidDefinition, 'the definition text is empty');
  const fmt = format ?? detectFormat(text);
  const value = fmt === 'json' ? parseJson(text) : parseYaml(text, 'yaml');
  return parseDefinition(value);
}
