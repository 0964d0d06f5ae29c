/** Validation of the v2 language: step types, CEL expressions and forEach templates. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDefinitionText, validateDefinition, workflow, type ValidationIssue } from '../../src/index.js';

function issuesOf(input: unknown): ValidationIssue[] {
  const r = validateDefinition(input);
  assert.equal(r.ok, false, 'expected the definition to be rejected');
  return r.ok ? [] : r.issues;
}

function hasIssue(issues: ValidationIssue[], path: string, message: RegExp): void {
  assert.ok(
    issues.some((i) => i.path === path && message.test(i.message)),
    `expected an issue at ${path} matching ${String(message)}; got ${JSON.stringify(issues)}`,
  );
}

const order = {
  name: 'orders',
  steps: [
    { id: 'check', task: 'fraud.check', input: { amount: '${input.amount}' } },
    { id: 'big', task: 'review', dependsOn: ['check'], if: 'steps.check.output.score > 0.5 && input.amount >= 100' },
    { id: 'small', task: 'auto', dependsOn: ['check'], if: "steps.check.status == 'SUCCEEDED' && !(steps.check.output.score > 0.5)" },
    { id: 'ship', task: 'ship', dependsOn: ['big', 'small'], forEach: 'input.lines', maxParallel: 2, input: { line: '${item}', n: '${index}' } },
    { id: 'cool', type: 'sleep', dependsOn: ['ship'], durationMs: 1000 },
    { id: 'later', type: 'sleep', dependsOn: ['cool'], until: "timestamp(input.at) + duration('1h')" },
    { id: 'approve', type: 'wait', dependsOn: ['later'], signal: 'approval', timeoutMs: 60000 },
    { id: 'invoice', type: 'workflow', dependsOn: ['approve'], workflow: 'billing.invoice', version: 2, input: { order: '${input.id}' } },
  ],
};

void test('a definition with every new field is valid', () => {
  const r = validateDefinition(order);
  assert.ok(r.ok, JSON.stringify(r.ok ? [] : r.issues));
});

void test('a CEL expression that does not parse is an issue naming the field', () => {
  const def = structuredClone(order);
  def.steps[3] = { ...def.steps[3], if: 'input.amount >' } as (typeof def.steps)[number];
  hasIssue(issuesOf(def), 'steps[3].if', /CEL syntax error/);
});

void test('an expression naming an unknown step, or a step that is not upstream, is an issue', () => {
  const def = structuredClone(order);
  def.steps[1] = { ...def.steps[1], if: 'steps.nope.output.x == 1' } as (typeof def.steps)[number];
  def.steps[2] = { ...def.steps[2], if: "steps['big'].status == 'SKIPPED'" } as (typeof def.steps)[number];
  def.steps[3] = { ...def.steps[3], forEach: 'steps.invoice.output.lines' } as (typeof def.steps)[number];
  const issues = issuesOf(def);
  hasIssue(issues, 'steps[1].if', /unknown step "nope"/);
  hasIssue(issues, 'steps[2].if', /"big" is not a \(transitive\) dependency of "small"/);
  hasIssue(issues, 'steps[3].forEach', /"invoice" is not a \(transitive\) dependency/);
});

void test('an unknown variable is an issue; macro variables are not', () => {
  const def = {
    name: 'w',
    steps: [
      { id: 'a', task: 't', if: 'input.xs.all(x, x > 0) && nope == 1' },
      { id: 'b', task: 't', forEach: 'input.xs.filter(x, x > 1).map(y, y * 2)' },
      { id: 'c', task: 't', if: 'type(input.xs) == list && type(input) == map' },
    ],
  };
  const issues = issuesOf(def);
  hasIssue(issues, 'steps[0].if', /unknown variable "nope"/);
  assert.equal(issues.length, 1, JSON.stringify(issues));
});

void test('each step type requires its own fields and refuses the others', () => {
  const issues = issuesOf({
    name: 'w',
    steps: [
      { id: 'a', type: 'sleep' },
      { id: 'b', type: 'sleep', durationMs: 5, until: 'input.t' },
      { id: 'c', type: 'wait', task: 'x' },
      { id: 'd', type: 'workflow', queue: 'q' },
      { id: 'e' },
      { id: 'f', task: 't', maxParallel: 3 },
      { id: 'g', type: 'sleep', durationMs: 1, forEach: 'input.xs' },
      { id: 'h', type: 'nap' },
    ],
  });
  hasIssue(issues, 'steps[0].durationMs', /exactly one of durationMs and until/);
  hasIssue(issues, 'steps[1].durationMs', /exactly one of durationMs and until/);
  hasIssue(issues, 'steps[2].signal', /required on a wait step/);
  hasIssue(issues, 'steps[2].task', /not allowed on a wait step/);
  hasIssue(issues, 'steps[3].workflow', /required on a workflow step/);
  hasIssue(issues, 'steps[3].queue', /not allowed on a workflow step/);
  hasIssue(issues, 'steps[4].task', /required on a task step/);
  hasIssue(issues, 'steps[5].maxParallel', /only allowed together with forEach/);
  hasIssue(issues, 'steps[6].forEach', /not allowed on a sleep step/);
  hasIssue(issues, 'steps[7].type', /must be one of task, sleep, wait, workflow/);
});

void test('${item} and ${index} are only defined in a forEach step', () => {
  const issues = issuesOf({ name: 'w', steps: [{ id: 'a', task: 't', input: { x: '${item.id}', i: '${index}' } }], output: '${item}' });
  hasIssue(issues, 'steps[0].input.x', /only defined in a step with forEach/);
  hasIssue(issues, 'steps[0].input.i', /only defined in a step with forEach/);
  hasIssue(issues, 'output', /only defined in a step with forEach/);
});

void test('the typed builder writes every new field and validates', () => {
  const def = workflow('orders')
    .step('check', 'fraud.check')
    .step('big', 'review', { dependsOn: ['check'], if: 'steps.check.output.score > 0.5' })
    .step('ship', 'ship', { dependsOn: ['big'], forEach: 'input.lines', maxParallel: 2, input: { line: '${item}' } })
    .sleep('cool', { dependsOn: ['ship'], durationMs: 1000 })
    .sleep('later', { dependsOn: ['cool'], until: 'timestamp(input.at)' })
    .wait('approve', 'approval', { dependsOn: ['later'], timeoutMs: 60_000 })
    .child('invoice', 'billing.invoice', { dependsOn: ['approve'], version: 2, input: { order: '${input.id}' } })
    .build();
  assert.deepEqual(def.steps.map((s) => s.type ?? 'task'), ['task', 'task', 'task', 'sleep', 'sleep', 'wait', 'workflow']);
  assert.deepEqual(def.steps[2], { id: 'ship', task: 'ship', dependsOn: ['big'], forEach: 'input.lines', maxParallel: 2, input: { line: '${item}' } });
  assert.deepEqual(def.steps[5], { id: 'approve', type: 'wait', signal: 'approval', dependsOn: ['later'], timeoutMs: 60_000 });
  assert.throws(() => workflow('w').step('a', 't', { if: 'a +' }).build(), /steps\[0\]\.if: CEL syntax error/);
});

void test('YAML carries the new fields', () => {
  const def = parseDefinitionText(`
name: approval
steps:
  - id: request
    task: approval.request
  - id: decide
    type: wait
    signal: approval
    timeoutMs: 86400000
    dependsOn: [request]
  - id: notify
    task: notify
    dependsOn: [decide]
    if: steps.decide.output.approved == true
`);
  assert.equal(def.steps[1]?.type, 'wait');
  assert.equal(def.steps[2]?.if, 'steps.decide.output.approved == true');
});
