/** Definitions as text: JSON or YAML, parsed with line and column in every syntax error. */
import { ErrorCode, OrchError } from '../errors.js';
import type { WorkflowDefinition } from './types.js';
import { parseDefinition } from './validate.js';
import { lineCol, parseYamlValue } from './yaml-value.js';
import type { YamlLimits } from './yaml-value.js';

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
    try {
      parseYamlValue(text, ErrorCode.InvalidDefinition);
    } catch (located) {
      const details = located instanceof OrchError ? (located.details as { line?: number; column?: number } | undefined) : undefined;
      if (details?.line !== undefined) throw syntaxError('json', msg, details.line, details.column);
    }
    throw syntaxError('json', msg);
  }
}

export { parseYamlValue, YAML_LIMIT_DEFAULTS } from './yaml-value.js';
export type { YamlLimits } from './yaml-value.js';

/**
 * Parses and validates a definition written as JSON or YAML (detected when `format` is absent).
 * Throws OrchError ORCH_INVALID_DEFINITION for a syntax error (with line and column), a YAML tag
 * or key JSON could not hold, or an invalid definition (with `details.issues`); 413
 * ORCH_PAYLOAD_TOO_LARGE for a YAML document that expands past `limits`.
 */
export function parseDefinitionText(text: string, format?: DefinitionFormat, limits?: YamlLimits): WorkflowDefinition {
  if (text.trim() === '') throw new OrchError(ErrorCode.InvalidDefinition, 'the definition text is empty');
  const fmt = format ?? detectFormat(text);
  const value = fmt === 'json' ? parseJson(text) : parseYamlValue(text, ErrorCode.InvalidDefinition, limits);
  return parseDefinition(value);
}
