import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrchError, detectFormat, parseDefinitionText } from '../../src/index.js';

const yamlText = `
name: demo
description: a demo
steps:
  - id: a
    task: demo.echo
    input:
      msg: \${input.msg}
    retry: { maxAttempts: 2, jitter: none }
  - id: b
    task: demo.echo
    dependsOn: [a]
    input: { x: "\${steps.a.output.x}" }
output: \${steps.b.output}
`;

const expected = {
  name: 'demo',
  description: 'a demo',
  steps: [
    { id: 'a', task: 'demo.echo', input: { msg: '${input.msg}' }, retry: { maxAttempts: 2, jitter: 'none' } },
    { id: 'b', task: 'demo.echo', dependsOn: ['a'], input: { x: '${steps.a.output.x}' } },
  ],
  output: '${steps.b.output}',
};

void test('YAML and JSON definitions parse to the same definition', () => {
  assert.deepEqual(parseDefinitionText(yamlText), expected);
  assert.deepEqual(parseDefinitionText(yamlText, 'yaml'), expected);
  const json = JSON.stringify(expected, null, 2);
  assert.deepEqual(parseDefinitionText(json), expected);
  assert.deepEqual(parseDefinitionText(json, 'json'), expected);
  assert.equal(detectFormat('  \n{"a":1}'), 'json');
  assert.equal(detectFormat('name: x'), 'yaml');
});

function assertSyntaxError(fn: () => unknown, where: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof OrchError);
    assert.equal(err.code, 'ORCH_INVALID_DEFINITION');
    assert.match(err.message, where);
    return true;
  });
}

void test('a YAML syntax error names its line and column', () => {
  assertSyntaxError(() => parseDefinitionText('name: demo\nsteps:\n  - id: a\n    task: [unclosed\n'), /YAML syntax error at line \d+, column \d+/);
  assertSyntaxError(() => parseDefinitionText('name: a\nname: b\nsteps: []\n'), /line 2, column 1/);
});

void test('a JSON syntax error names its line and column', () => {
  assertSyntaxError(() => parseDefinitionText('{\n  "name": "x",\n  "steps": [,]\n}'), /JSON syntax error at line 3, column \d+/);
  assertSyntaxError(() => parseDefinitionText('{"name": "x"', 'json'), /JSON syntax error/);
});

void test('empty text and invalid content are rejected clearly', () => {
  assertSyntaxError(() => parseDefinitionText('   \n'), /empty/);
  assert.throws(
    () => parseDefinitionText('name: demo\nsteps:\n  - id: a\n    task: t\n    retry: { maxAttempts: 0 }\n'),
    (err: unknown) => err instanceof OrchError && /steps\[0\]\.retry\.maxAttempts/.test(err.message),
  );
});
