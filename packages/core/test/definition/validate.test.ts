import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrchError, parseDefinition, validateDefinition, type ValidationIssue } from '../../src/index.js';

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

const ok = {
  name: 'orders.ship-v2',
  description: 'ship an order',
  steps: [
    { id: 'fetch', task: 'http.get', input: { url: '${input.url}' }, retry: { maxAttempts: 5, jitter: 'equal' }, timeoutMs: 1000 },
    { id: 'parse', task: 'json.parse', dependsOn: ['fetch'], input: { body: '${steps.fetch.output.body}' }, queue: 'cpu.heavy' },
    { id: 'save', task: 'db.put', dependsOn: ['parse'], input: { doc: '${steps.fetch.output}', p: '${steps.parse.output}' }, heartbeatTimeoutMs: 500 },
  ],
  output: { saved: '${steps.save.output}', raw: '${steps.fetch.output}' },
};

void test('a valid definition passes and comes back equal', () => {
  const r = validateDefinition(ok);
  assert.equal(r.ok, true);
  if (r.ok) assert.deepEqual(r.definition, ok);
  assert.deepEqual(parseDefinition(ok), ok);
});

void test('retry values out of range are rejected with their path', () => {
  const bad = (retry: unknown) => ({ name: 'w', steps: [{ id: 'a', task: 't' }, { id: 'b', task: 't', retry }] });
  hasIssue(issuesOf(bad({ maxAttempts: 0 })), 'steps[1].retry.maxAttempts', />= 1/);
  hasIssue(issuesOf(bad({ maxAttempts: 101 })), 'steps[1].retry.maxAttempts', /<= 100/);
  hasIssue(issuesOf(bad({ maxAttempts: 1.5 })), 'steps[1].retry.maxAttempts', /integer/);
  hasIssue(issuesOf(bad({ initialIntervalMs: -1 })), 'steps[1].retry.initialIntervalMs', />= 0/);
  hasIssue(issuesOf(bad({ backoffCoefficient: 0.5 })), 'steps[1].retry.backoffCoefficient', />= 1/);
  hasIssue(issuesOf(bad({ backoffCoefficient: 101 })), 'steps[1].retry.backoffCoefficient', /<= 100/);
  hasIssue(issuesOf(bad({ maxIntervalMs: 86_400_001 })), 'steps[1].retry.maxIntervalMs', /<= 86400000/);
  hasIssue(issuesOf(bad({ initialIntervalMs: 5000, maxIntervalMs: 4000 })), 'steps[1].retry.maxIntervalMs', /must be >= initialIntervalMs/);
  hasIssue(issuesOf(bad({ initialIntervalMs: 90_000 })), 'steps[1].retry.initialIntervalMs', /maxIntervalMs \(default\) 60000/);
  hasIssue(issuesOf(bad({ jitter: 'random' })), 'steps[1].retry.jitter', /full, equal, decorrelated, none/);
  hasIssue(issuesOf(bad({ nonRetryableErrors: 'E' })), 'steps[1].retry.nonRetryableErrors', /./);
  hasIssue(issuesOf(bad({ maxAttempt: 3 })), 'steps[1].retry.maxAttempt', /unknown key/);
});

void test('timeouts, ids, names, queues and tasks are checked', () => {
  const issues = issuesOf({
    name: '9lives',
    steps: [
      { id: 'a b', task: '' },
      { id: 'ok', task: 'x'.repeat(201), timeoutMs: 0, heartbeatTimeoutMs: 7 * 86_400_000 + 1, queue: 'Upper' },
    ],
  });
  hasIssue(issues, 'name', /start with a letter/);
  hasIssue(issues, 'steps[0].id', /letters, digits/);
  hasIssue(issues, 'steps[0].task', /empty/);
  hasIssue(issues, 'steps[1].task', /200/);
  hasIssue(issues, 'steps[1].timeoutMs', />= 1/);
  hasIssue(issues, 'steps[1].heartbeatTimeoutMs', /<= 604800000/);
  hasIssue(issues, 'steps[1].queue', /lowercase/);
  assert.equal(validateDefinition({ name: 'a'.repeat(64), steps: [{ id: 'b'.repeat(64), task: 't' }] }).ok, true);
  hasIssue(issuesOf({ name: 'a'.repeat(65), steps: [{ id: 'b'.repeat(65), task: 't' }] }), 'steps[0].id', /64/);
});

void test('step count must be 1..500 and unknown keys are rejected', () => {
  hasIssue(issuesOf({ name: 'w', steps: [] }), 'steps', /at least 1/);
  const many = Array.from({ length: 501 }, (_, i) => ({ id: `s${i}`, task: 't' }));
  hasIssue(issuesOf({ name: 'w', steps: many }), 'steps', /at most 500/);
  assert.equal(validateDefinition({ name: 'w', steps: many.slice(0, 500) }).ok, true);
  const issues = issuesOf({ name: 'w', steps: [{ id: 'a', task: 't', depends: ['x'] }], extra: 1 });
  hasIssue(issues, 'extra', /unknown key/);
  hasIssue(issues, 'steps[0].depends', /unknown key/);
  hasIssue(issuesOf(null), '', /./);
  hasIssue(issuesOf({ steps: [{ id: 'a', task: 't' }] }), 'name', /./);
});

void test('duplicate ids, unknown dependencies and self-dependencies name their path', () => {
  const issues = issuesOf({
    name: 'w',
    steps: [
      { id: 'a', task: 't' },
      { id: 'b', task: 't', dependsOn: ['a', 'zzz'] },
      { id: 'a', task: 't' },
      { id: 'c', task: 't', dependsOn: ['b', 'c'] },
    ],
  });
  hasIssue(issues, 'steps[2].id', /duplicate step id "a" \(first declared at steps\[0\]\)/);
  hasIssue(issues, 'steps[1].dependsOn[1]', /unknown step "zzz"/);
  hasIssue(issues, 'steps[3].dependsOn[1]', /depends on itself/);
  assert.equal(issues.length, 3, JSON.stringify(issues));
});

void test('cycles are rejected and named', () => {
  const two = issuesOf({ name: 'w', steps: [{ id: 'a', task: 't', dependsOn: ['b'] }, { id: 'b', task: 't', dependsOn: ['a'] }] });
  assert.equal(two.length, 1);
  assert.match(two[0]?.message ?? '', /^cycle: (a -> b -> a|b -> a -> b)$/);
  const three = issuesOf({
    name: 'w',
    steps: [
      { id: 'root', task: 't' },
      { id: 'x', task: 't', dependsOn: ['root', 'z'] },
      { id: 'y', task: 't', dependsOn: ['x'] },
      { id: 'z', task: 't', dependsOn: ['y'] },
    ],
  });
  assert.equal(three.length, 1);
  assert.match(three[0]?.message ?? '', /^cycle: (x -> y -> z -> x|y -> z -> x -> y|z -> x -> y -> z)$/);
  assert.match(three[0]?.path ?? '', /^steps\[[123]\]\.dependsOn$/);
});

void test('template references must point to known ancestors', () => {
  const issues = issuesOf({
    name: 'w',
    steps: [
      { id: 'a', task: 't' },
      { id: 'b', task: 't', dependsOn: ['a'] },
      { id: 'c', task: 't', dependsOn: ['b'], input: { fromA: '${steps.a.output}', list: ['${steps.ghost.output.x}'] } },
      { id: 'd', task: 't', dependsOn: ['a'], input: { url: 'http://${steps.c.output.host}/', me: '${steps.d.output}' } },
    ],
    output: { x: '${steps.nope.output}', y: '${steps.c.output}' },
  });
  hasIssue(issues, 'steps[2].input.list[0]', /unknown step "ghost"/);
  hasIssue(issues, 'steps[3].input.url', /dangling reference.*"c".*"d"/);
  hasIssue(issues, 'steps[3].input.me', /dangling reference/);
  hasIssue(issues, 'output.x', /unknown step "nope"/);
  assert.equal(issues.length, 4, 'a transitive ancestor (a for c) and any step in output are fine');
});

void test('malformed templates and unknown roots are rejected', () => {
  const issues = issuesOf({
    name: 'w',
    steps: [{ id: 'a', task: 't', input: ['${input.x', { env: '${env.HOME}', s: '${steps.a}' }, '${input}'] }],
    output: 'result: ${steps.a.output',
  });
  hasIssue(issues, 'steps[0].input[0]', /unclosed/);
  hasIssue(issues, 'steps[0].input[1].env', /unknown root "env"/);
  hasIssue(issues, 'steps[0].input[1].s', /steps\.<id>\.output/);
  hasIssue(issues, 'output', /unclosed/);
  assert.equal(issues.length, 4);
});

void test('all issues are reported together, schema and graph alike', () => {
  const issues = issuesOf({
    name: 'w',
    steps: [
      { id: 'a', task: 't', retry: { maxAttempts: 0 }, dependsOn: ['b'] },
      { id: 'b', task: 't', dependsOn: ['a'], timeoutMs: -1 },
      { id: 'c', task: 't', dependsOn: ['nope'], input: { v: '${steps.a.output}' } },
    ],
  });
  hasIssue(issues, 'steps[0].retry.maxAttempts', /./);
  hasIssue(issues, 'steps[1].timeoutMs', /./);
  hasIssue(issues, 'steps[2].dependsOn[0]', /unknown step "nope"/);
  assert.ok(issues.some((i) => i.message.startsWith('cycle: ')));
  hasIssue(issues, 'steps[2].input.v', /dangling reference/);
});

void test('parseDefinition throws ORCH_INVALID_DEFINITION with every issue in details', () => {
  assert.throws(
    () => parseDefinition({ name: 'w', steps: [{ id: 'a', task: 't', dependsOn: ['a'] }, { id: 'a', task: 't' }] }),
    (err: unknown) => {
      assert.ok(err instanceof OrchError);
      assert.equal(err.code, 'ORCH_INVALID_DEFINITION');
      assert.equal(err.httpStatus, 422);
      const { issues } = err.details as { issues: ValidationIssue[] };
      assert.equal(issues.length, 2);
      assert.match(err.message, /steps\[0\]\.dependsOn\[0\]/);
      return true;
    },
  );
});
