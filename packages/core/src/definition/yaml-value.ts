/**
 * YAML text to a JSON value, accepting only what JSON could have said.
 *
 * - The core schema only, with no known-tag extensions: an explicit tag other than the core ones
 *   (`!!binary`, `!!set`, `!!js/function`, `!custom`, …) is refused with its path and line.
 * - `__proto__` keys, and `constructor` keys holding a `prototype`, are refused as JSON bodies are.
 * - Keys are scalars, as in JSON.
 * - The limits hold on the **expanded** document: aliases are counted as the nodes and bytes they
 *   stand for, measured on the syntax tree (each anchored node once) before anything is expanded,
 *   so a small text with many aliases of a big list is refused without being built.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, YAMLParseError } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { ErrorCode, OrchError } from '../errors.js';

export interface YamlLimits {
  /** Largest expanded document, measured roughly as its JSON serialization. @default 1048576 */
  maxBytes?: number;
  /** Most nodes (scalars, maps, lists) in the expanded document. @default 100000 */
  maxNodes?: number;
  /** Deepest nesting of the expanded document. @default 64 */
  maxDepth?: number;
  /** Most aliases in the text. @default 100 */
  maxAliases?: number;
}

export const YAML_LIMIT_DEFAULTS = Object.freeze({ maxBytes: 1024 * 1024, maxNodes: 100_000, maxDepth: 64, maxAliases: 100 });

const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

interface Size {
  nodes: number;
  bytes: number;
  depth: number;
}

type Path = (string | number)[];

function pathText(path: Path): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? '(root)' : out;
}

class Measure {
  private readonly anchored = new Map<YamlNode, Size>();
  private aliases = 0;

  constructor(
    private readonly doc: Document,
    private readonly text: string,
    private readonly limits: Required<YamlLimits>,
    private readonly code: ErrorCode,
  ) {}

  private line(node: YamlNode): string {
    const offset = node.range?.[0];
    if (offset === undefined) return '';
    return ` (line ${this.text.slice(0, offset).split('\n').length})`;
  }

  private refuse(path: Path, node: YamlNode, message: string): never {
    const field = pathText(path);
    throw new OrchError(this.code, `${field}: ${message}${this.line(node)}`, { field });
  }

  private tooLarge(path: Path, message: string): never {
    throw new OrchError(ErrorCode.PayloadTooLarge, `the YAML document ${message}`, { field: 'body', at: pathText(path) });
  }

  measure(node: YamlNode | null | undefined, path: Path): Size {
    if (node === null || node === undefined) return { nodes: 1, bytes: 4, depth: 0 };
    if (isAlias(node)) {
      this.aliases += 1;
      if (this.aliases > this.limits.maxAliases) this.tooLarge(path, `has more than ${this.limits.maxAliases} aliases`);
      const target = node.resolve(this.doc);
      const known = target === undefined ? undefined : this.anchored.get(target);
      if (known === undefined) this.refuse(path, node, `alias *${node.source} does not refer to an earlier anchor`);
      return known;
    }
    if (node.tag !== undefined && !CORE_TAGS.has(node.tag)) this.refuse(path, node, `the tag ${node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed; write plain JSON values`);
    if (path.length > this.limits.maxDepth) this.tooLarge(path, `nests deeper than ${this.limits.maxDepth} levels`);
    let size: Size;
    if (isScalar(node)) {
      size = { nodes: 1, bytes: String(node.value).length + 2, depth: 0 };
    } else if (isMap(node)) {
      size = { nodes: 1, bytes: 2, depth: 1 };
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key;
        if (!isScalar(key)) this.refuse(path, (key ?? node) as YamlNode, 'a key must be a string, number or boolean');
        const name = String(key.value);
        const value = pair.value as YamlNode | null;
        if (name === '__proto__') this.refuse([...path, name], key, 'the key __proto__ is not allowed');
        if (name === 'constructor' && isMap(value) && value.items.some((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === 'prototype')) {
          this.refuse([...path, name], key, 'a constructor key holding prototype is not allowed');
        }
        path.push(name);
        this.add(size, this.measure(value, path), name.length + 3, path);
        path.pop();
      }
    } else if (isSeq(node)) {
      size = { nodes: 1, bytes: 2, depth: 1 };
      node.items.forEach((item, i) => {
        path.push(i);
        this.add(size, this.measure(item as YamlNode | null, path), 1, path);
        path.pop();
      });
    } else {
      this.refuse(path, node, 'is not a value JSON can hold');
    }
    if (node.anchor !== undefined) this.anchored.set(node, size);
    return size;
  }

  private add(total: Size, child: Size, extraBytes: number, path: Path): void {
    total.nodes += child.nodes;
    total.bytes += child.bytes + extraBytes;
    total.depth = Math.max(total.depth, child.depth + 1);
    if (total.nodes > this.limits.maxNodes) this.tooLarge(path, `expands to more than ${this.limits.maxNodes} nodes`);
    if (total.bytes > this.limits.maxBytes) this.tooLarge(path, `expands to more than ${this.limits.maxBytes} bytes`);
    if (total.depth + path.length - 1 > this.limits.maxDepth) this.tooLarge(path, `nests deeper than ${this.limits.maxDepth} levels`);
  }
}

/** Line and column (1-based) of a character offset. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/**
 * Parses YAML text into a JSON value within `limits`. A syntax error, a refused tag or key is an
 * OrchError of `code` naming the field (and line); an expanded document over a limit is 413
 * ORCH_PAYLOAD_TOO_LARGE.
 */
export function parseYamlValue(text: string, code: ErrorCode, limits: YamlLimits = {}): unknown {
  const resolved = { ...YAML_LIMIT_DEFAULTS, ...limits };
  const doc = parseDocument(text, { schema: 'core', resolveKnownTags: false, merge: false, uniqueKeys: true, prettyErrors: false, strict: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const pos = error instanceof YAMLParseError ? error.linePos?.[0] : undefined;
    const at = pos ?? (error.pos[0] >= 0 ? lineCol(text, error.pos[0]) : undefined);
    const where = at === undefined ? '' : ` at line ${at.line}, column ${at.col}`;
    throw new OrchError(code, `YAML syntax error${where}: ${error.message.split('\n')[0] ?? error.message}`, {
      field: 'body',
      ...(at === undefined ? {} : { line: at.line, column: at.col }),
    });
  }
  new Measure(doc, text, resolved, code).measure(doc.contents, []);
  return doc.toJS({ maxAliasCount: resolved.maxAliases });
}
