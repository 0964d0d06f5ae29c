/**
 * YAML accepts only what JSON could say, and its limits hold on the expanded document: aliases
 * of a big list, custom tags and `__proto__` keys are refused with the field they are at.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, OrchError, parseDefinitionText, parseYamlValue } from '../../src/index.js';

function refused(fn: () => unknown, code: string, pattern: RegExp): OrchError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof OrchError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return error;
  }
  assert.fail('expected the YAML to be refused');
}

/** About `count` aliases of one list of `items` strings of 100 characters. */
function aliasBomb(items: number, count: number): string {
  const big = Array.from({ length: items }, (_, i) => `  - ${String(i).padStart(100, 'x')}`).join('\n');
  const refs = Array.from({ length: count }, (_, i) => `  k${i}: *big`).join('\n');
  return `big: &big\n${big}\nrefs:\n${refs}\n`;
}

void test('aliases that expand a small text past the byte limit are refused before they are built', () => {
  const text = aliasBomb(5000, 99);
  assert.ok(text.length < 600_000);
  const error = refused(() => parseYamlValue(text, ErrorCode.BadRequest, { maxBytes: 1024 * 1024 }), 'ORCH_PAYLOAD_TOO_LARGE', /expands to more than 1048576 bytes/);
  assert.equal((error.details as { field: string }).field, 'body');
  // The same shape within the limit parses, aliases expanded.
  const small = parseYamlValue(aliasBomb(3, 2), ErrorCode.BadRequest) as { refs: Record<string, string[]> };
  assert.equal(small.refs.k1?.length, 3);
});

void test('the node count and the alias count are bounded on the expanded document', () => {
  const nodes = `a: &a [${Array.from({ length: 1000 }, () => '0').join(', ')}]\nb: [${Array.from({ length: 50 }, () => '*a').join(', ')}]\n`;
  refused(() => parseYamlValue(nodes, ErrorCode.BadRequest, { maxNodes: 10_000 }), 'ORCH_PAYLOAD_TOO_LARGE', /more than 10000 nodes/);
  const many = `a: &a 1\nb: [${Array.from({ length: 101 }, () => '*a').join(', ')}]\n`;
  refused(() => parseYamlValue(many, ErrorCode.BadRequest), 'ORCH_PAYLOAD_TOO_LARGE', /more than 100 aliases/);
  // Nesting that only aliases make deep counts too.
  let deep = 'l0: &l0 [1]\n';
  for (let i = 1; i <= 70; i += 1) deep += `l${i}: &l${i} [*l${i - 1}]\n`;
  refused(() => parseYamlValue(deep, ErrorCode.BadRequest), 'ORCH_PAYLOAD_TOO_LARGE', /nests deeper than 64/);
});

void test('tags beyond the core schema are refused, naming the field and line', () => {
  for (const [text, tag] of [
    ['a: 1\nb: !!binary aGVsbG8=\n', '!!binary'],
    ['s: !!set {x, y}\n', '!!set'],
    ['f: !!js/function "function () {}"\n', '!!js/function'],
    ['t: !!timestamp 2001-01-01\n', '!!timestamp'],
    ['c: !custom x\n', '!custom'],
  ] as const) {
    const error = refused(() => parseYamlValue(text, ErrorCode.BadRequest), 'ORCH_BAD_REQUEST', new RegExp(`the tag ${tag.replace(/[!/]/g, '\\$&')} is not allowed`));
    assert.ok(['b', 's', 'f', 't', 'c'].includes((error.details as { field: string }).field), text);
  }
  assert.match(refused(() => parseYamlValue('a: 1\nb: !!binary aGVsbG8=\n', ErrorCode.BadRequest), 'ORCH_BAD_REQUEST', /line 2/).message, /^b: /);
  // The core tags say nothing JSON could not.
  assert.deepEqual(parseYamlValue('a: !!str 5\nb: !!int "7"\n', ErrorCode.BadRequest), { a: '5', b: 7 });
  // YAML 1.1 oddities stay strings under the core schema.
  assert.deepEqual(parseYamlValue('a: yes\nb: 2001-01-01\n', ErrorCode.BadRequest), { a: 'yes', b: '2001-01-01' });
});

void test('__proto__ keys, constructor.prototype and complex keys are refused as JSON bodies are', () => {
  const proto = refused(() => parseYamlValue('steps:\n  - id: a\n    task: t\n    input:\n      __proto__: {polluted: 1}\n', ErrorCode.BadRequest), 'ORCH_BAD_REQUEST', /__proto__ is not allowed/);
  assert.equal((proto.details as { field: string }).field, 'steps[0].input.__proto__');
  refused(() => parseYamlValue('constructor: {prototype: {x: 1}}\n', ErrorCode.BadRequest), 'ORCH_BAD_REQUEST', /constructor/);
  refused(() => parseYamlValue('? [a, b]\n: 1\n', ErrorCode.BadRequest), 'ORCH_BAD_REQUEST', /key must be/);
  assert.deepEqual(parseYamlValue('constructor: x\n', ErrorCode.BadRequest), { constructor: 'x' });
  // Definitions read from files get the same rules, as invalid definitions.
  refused(() => parseDefinitionText('name: d\nsteps:\n  - id: a\n    task: !!binary aGVsbG8=\n'), 'ORCH_INVALID_DEFINITION', /steps\[0\]\.task: the tag !!binary/);
});
