import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrchError, workflow } from '../../src/index.js';

void test('the builder produces a validated definition', () => {
  const def = workflow('demo.diamond', { description: 'A to B and C to D' })
    .step('a', 'demo.echo', { input: { v: '${input.v}' }, retry: { maxAttempts: 5 }, timeoutMs: 1000 })
    .step('b', 'demo.echo', { dependsOn: ['a'], input: { x: '${steps.a.output.x}' }, queue: 'fast' })
    .step('c', 'demo.echo', { dependsOn: ['a'], heartbeatTimeoutMs: 200 })
    .step('d', 'demo.echo', { dependsOn: ['b', 'c'], input: { b: '${steps.b.output}', c: '${steps.c.output}' } })
    .output({ d: '${steps.d.output}' })
    .build();
  assert.deepEqual(def, {
    name: 'demo.diamond',
    description: 'A to B and C to D',
    steps: [
      { id: 'a', task: 'demo.echo', input: { v: '${input.v}' }, retry: { maxAttempts: 5 }, timeoutMs: 1000 },
      { id: 'b', task: 'demo.echo', dependsOn: ['a'], input: { x: '${steps.a.output.x}' }, queue: 'fast' },
      { id: 'c', task: 'demo.echo', dependsOn: ['a'], heartbeatTimeoutMs: 200 },
      { id: 'd', task: 'demo.echo', dependsOn: ['b', 'c'], input: { b: '${steps.b.output}', c: '${steps.c.output}' } },
    ],
    output: { d: '${steps.d.output}' },
  });
});

void test('each step returns a new builder; earlier builders are unchanged', () => {
  const base = workflow('w').step('a', 't');
  const one = base.build();
  base.step('b', 't', { dependsOn: ['a'] }).build();
  assert.deepEqual(base.build(), one);
  assert.equal(one.steps.length, 1);
});

void test('dependsOn only accepts ids declared earlier (checked by the compiler)', () => {
  const w = workflow('w').step('a', 't');
  // @ts-expect-error 'zzz' is not a declared step id
  const bad = w.step('b', 't', { dependsOn: ['zzz'] });
  assert.throws(() => bad.build(), /unknown step "zzz"/);
});

void test('build() throws ORCH_INVALID_DEFINITION like parseDefinition', () => {
  assert.throws(
    () => workflow('w').step('a', 't', { retry: { maxAttempts: 0 } }).step('a', 't').build(),
    (err: unknown) => err instanceof OrchError && err.code === 'ORCH_INVALID_DEFINITION' && /steps\[1\]\.id/.test(err.message),
  );
  assert.throws(() => workflow('w').build(), /at least 1 step/);
});
