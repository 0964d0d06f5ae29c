import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveTemplates, scanTemplates, templateReferences } from '../src/index.js';

const scope = {
  input: { a: { b: 7 }, items: ['x', { y: 2 }], s: 'hi', n: null },
  steps: { fetch: { output: { body: { id: 42 }, list: [1, 2] } }, str: { output: 'plain' } },
};

void test('a whole-string template keeps the value type', () => {
  assert.equal(resolveTemplates('${input.a.b}', scope), 7);
  assert.deepEqual(resolveTemplates('${input}', scope), scope.input);
  assert.deepEqual(resolveTemplates('${steps.fetch.output.body}', scope), { id: 42 });
  assert.equal(resolveTemplates('${input.items[1].y}', scope), 2);
  assert.equal(resolveTemplates('${ input.a.b }', scope), 7);
  assert.equal(resolveTemplates('${input.n}', scope), null);
});

void test('templates inside text are interpolated, objects as JSON, missing as empty', () => {
  assert.equal(resolveTemplates('id=${steps.fetch.output.body.id}!', scope), 'id=42!');
  assert.equal(resolveTemplates('${input.s} ${input.s}', scope), 'hi hi');
  assert.equal(resolveTemplates('b=${steps.fetch.output.body}', scope), 'b={"id":42}');
  assert.equal(resolveTemplates('[${input.nope}]', scope), '[]');
  assert.equal(resolveTemplates('${steps.str.output}/${input.items[0]}', scope), 'plain/x');
});

void test('a missing whole-string path resolves to undefined', () => {
  assert.equal(resolveTemplates('${input.a.zzz.deeper}', scope), undefined);
  assert.equal(resolveTemplates('${steps.unknown.output}', scope), undefined);
  assert.equal(resolveTemplates('${input.items[9]}', scope), undefined);
  assert.equal(resolveTemplates('${input.s.length}', scope), undefined, 'no property of a primitive');
  assert.equal(resolveTemplates('${input.a.constructor}', scope), undefined, 'never reaches a prototype');
});

void test('deep-walks objects and arrays without touching the argument', () => {
  const value = { url: 'http://h/${input.a.b}', list: ['${steps.fetch.output.list}', 3, true, null], nested: { k: '${input.s}' } };
  const copy = structuredClone(value);
  assert.deepEqual(resolveTemplates(value, scope), { url: 'http://h/7', list: [[1, 2], 3, true, null], nested: { k: 'hi' } });
  assert.deepEqual(value, copy);
});

void test('templateReferences lists every reference with its location', () => {
  const refs = templateReferences({ url: '${input.u}', a: ['x', '${steps.b.output.c} and ${steps.d.output}'] });
  assert.deepEqual(refs, [
    { path: 'url', expr: 'input.u', root: 'input' },
    { path: 'a[1]', expr: 'steps.b.output.c', root: 'steps', stepId: 'b' },
    { path: 'a[1]', expr: 'steps.d.output', root: 'steps', stepId: 'd' },
  ]);
  assert.deepEqual(templateReferences('${input}'), [{ path: '', expr: 'input', root: 'input' }]);
});

void test('malformed templates are reported and left as written when resolved', () => {
  const cases: [string, RegExp][] = [
    ['x ${input.a', /unclosed/],
    ['${}', /empty/],
    ['${env.HOME}', /unknown root "env"/],
    ['${steps.a}', /steps\.<id>\.output/],
    ['${steps.a.result}', /steps\.<id>\.output/],
    ['${input..a}', /malformed/],
    ['${input[x]}', /malformed/],
  ];
  for (const [text, re] of cases) {
    const { errors, references } = scanTemplates({ v: text });
    assert.equal(errors.length, 1, text);
    assert.equal(errors[0]?.path, 'v');
    assert.match(errors[0]?.message ?? '', re, text);
    assert.equal(references.length, 0, text);
    assert.equal(resolveTemplates(text, scope), text);
  }
});
