import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { decodeRunInput, reportsStart, topicNames } from '@orchestrator-lite/core';
import { createEmbeddedTransport } from '@orchestrator-lite/transport';
import { BIN, freePort, json, post, put, rawPost, startOrch, tempDir, waitFor, waitForStatus } from './helpers.js';

const execFileAsync = promisify(execFile);

test('the diamond runs end to end: the flaky branch retries with recorded backoff, the join sees both branches', { timeout: 180_000 }, async (t) => {
  const orch = await startOrch(t, { dataDir: tempDir(t), port: await freePort() });
  const accepted = await post(`${orch.url}/api/v1/runs`, { workflow: 'diamond', input: { value: 42 } });
  assert.equal(accepted.status, 202);
  const runId = String(accepted.body.runId);
  const run = await waitForStatus(orch.url, runId, ['SUCCEEDED', 'FAILED'], 60_000);
  assert.equal(run.status, 'SUCCEEDED');

  const c = run.steps.c!;
  assert.equal(c.attempts.length, 3);
  assert.deepEqual(c.attempts.map((a) => a.status), ['FAILED', 'FAILED', 'SUCCEEDED']);
  for (const [i, attempt] of c.attempts.slice(0, 2).entries()) {
    const retry = attempt.retry!;
    assert.ok(retry, `attempt ${i + 1} records its retry`);
    assert.equal(retry.baseDelayMs, 1000 * 2 ** i, 'base delay follows the policy');
    assert.equal(retry.delayMs, retry.baseDelayMs + retry.jitterMs, 'delay = base + jitter');
    assert.ok(retry.delayMs >= 0 && retry.delayMs <= retry.baseDelayMs, 'full jitter stays within [0, base]');
  }
  const d = run.steps.d!;
  assert.deepEqual(d.output, {
    b: { branch: 'b', from: 42 },
    c: { branch: 'c', failTimes: 2, from: 42, succeededOnAttempt: 3 },
  });

  const events = await json<{ items: { seq: number; type: string }[] }>(`${orch.url}/api/v1/runs/${runId}/events?since=0`);
  assert.deepEqual(events.body.items.map((e) => e.seq), events.body.items.map((_, i) => i + 1), 'events are numbered 1..n without gaps');
  assert.equal(events.body.items.filter((e) => e.type === 'RetryScheduled').length, 2);
});

test('kill -9 mid-run, start again: the run completes, and no completed step runs again', { timeout: 180_000 }, async (t) => {
  const dataDir = tempDir(t);
  const port = await freePort();
  const first = await startOrch(t, { dataDir, port });
  const accepted = await post(`${first.url}/api/v1/runs`, { workflow: 'sleepy-chain', input: { ms: 700 } });
  const runId = String(accepted.body.runId);
  // Kill while the third step is in flight: two steps are done, one is running.
  await waitFor(async () => {
    const { body } = await json<{ steps: Record<string, { status: string }> }>(`${first.url}/api/v1/runs/${runId}`);
    return body.steps?.three?.status === 'RUNNING';
  }, 30_000);
  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));

  const second = await startOrch(t, { dataDir, port });
  const run = await waitForStatus(second.url, runId, ['SUCCEEDED', 'FAILED'], 60_000);
  assert.equal(run.status, 'SUCCEEDED');
  second.child.kill('SIGTERM');
  await new Promise((resolve) => second.child.once('exit', resolve));

  // Count handler executions from what the workers said on the bus: one start report each.
  const transport = createEmbeddedTransport({ dataDir });
  t.after(() => transport.close());
  const names = topicNames();
  const starts = new Map<string, number>();
  for (let p = 0; p < (await transport.partitionCount(names.results)); p++) {
    for await (const batch of transport.readPartition(names.results, p)) {
      for (const record of batch) {
        const input = decodeRunInput(record.value);
        if (input.runId !== runId || !reportsStart(input)) continue;
        const key = `${input.stepId}#${input.attempt}`;
        starts.set(key, (starts.get(key) ?? 0) + 1);
      }
    }
  }
  assert.equal(starts.get('one#1'), 1, 'step one ran once');
  assert.equal(starts.get('two#1'), 1, 'step two ran once');
  assert.ok((starts.get('three#1') ?? 0) >= 1 && (starts.get('three#1') ?? 0) <= 2, 'the step in flight ran at most twice, as the same attempt');
  assert.equal(starts.get('three#2'), undefined, 'no new attempt was needed');
  assert.equal(starts.get('four#1'), 1);
  assert.equal(starts.get('five#1'), 1);
  const outputs = Object.values(run.steps).map((s) => (s.output as { idempotencyKey: string }).idempotencyKey);
  assert.deepEqual(outputs, ['one', 'two', 'three', 'four', 'five'].map((s) => `${runId}:${s}:1`));
});

test('retries are bounded, non-retryable failures are final, and cancel aborts the running handler', { timeout: 180_000 }, async (t) => {
  const dataDir = tempDir(t);
  const orch = await startOrch(t, { dataDir, port: await freePort() });
  const failing = await post(`${orch.url}/api/v1/runs`, { workflow: 'always-fails' });
  const fast = await post(`${orch.url}/api/v1/runs`, { workflow: 'fail-fast' });
  const slow = await post(`${orch.url}/api/v1/runs`, { workflow: 'sleepy-chain', input: { ms: 30_000 } });

  const failed = await waitForStatus(orch.url, String(failing.body.runId), ['FAILED', 'SUCCEEDED'], 30_000);
  assert.equal(failed.status, 'FAILED');
  assert.equal(failed.steps.doomed!.attempts.length, 3);
  assert.equal(failed.steps.after!.status, 'SKIPPED');

  const rejected = await waitForStatus(orch.url, String(fast.body.runId), ['FAILED', 'SUCCEEDED'], 30_000);
  assert.equal(rejected.steps.reject!.attempts.length, 1);
  assert.equal(rejected.steps.reject!.attempts[0]!.error?.type, 'DemoFailure');

  const slowId = String(slow.body.runId);
  await waitFor(async () => (await json<{ steps: Record<string, { status: string }> }>(`${orch.url}/api/v1/runs/${slowId}`)).body.steps?.one?.status === 'RUNNING', 20_000);
  const cancel = await post(`${orch.url}/api/v1/runs/${slowId}/cancel`, {});
  assert.equal(cancel.status, 202);
  const cancelled = await waitForStatus(orch.url, slowId, ['CANCELLED'], 10_000);
  assert.equal(cancelled.steps.one!.status, 'CANCELLED');
  assert.equal(cancelled.steps.two!.status, 'CANCELLED');
  assert.equal((await post(`${orch.url}/api/v1/runs/${slowId}/cancel`, {})).status, 409, 'a finished run cannot be cancelled again');

  // The handler saw its AbortSignal: its worker reported the attempt cancelled, long before its 30 s sleep ended.
  const cancelledAt = Date.now();
  orch.child.kill('SIGTERM');
  await new Promise((resolve) => orch.child.once('exit', resolve));
  const transport = createEmbeddedTransport({ dataDir });
  t.after(() => transport.close());
  const names = topicNames();
  const failures: { type: string; at: number }[] = [];
  for (let p = 0; p < (await transport.partitionCount(names.results)); p++) {
    for await (const batch of transport.readPartition(names.results, p)) {
      for (const record of batch) {
        const input = decodeRunInput(record.value);
        if (input.runId === slowId && input.type === 'TaskFailed' && input.stepId === 'one') failures.push({ type: input.error.type, at: input.at });
      }
    }
  }
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.type, 'ORCH_CANCELLED');
  assert.ok(failures[0]!.at <= cancelledAt, 'aborted before the process stopped');
});

test('bad input gets a 4xx JSON error and the server stays healthy', { timeout: 180_000 }, async (t) => {
  const orch = await startOrch(t, { dataDir: tempDir(t), port: await freePort() });
  const base = `${orch.url}/api/v1`;
  const cases: [string, Promise<{ status: number; body: Record<string, unknown> }>, number][] = [
    ['cycle', put(`${base}/workflows/loop`, { steps: [{ id: 'a', task: 't', dependsOn: ['b'] }, { id: 'b', task: 't', dependsOn: ['a'] }] }), 422],
    ['unknown dependsOn', put(`${base}/workflows/x`, { steps: [{ id: 'a', task: 't', dependsOn: ['zzz'] }] }), 422],
    ['duplicate ids', put(`${base}/workflows/x`, { steps: [{ id: 'a', task: 't' }, { id: 'a', task: 't' }] }), 422],
    ['dangling template', put(`${base}/workflows/x`, { steps: [{ id: 'a', task: 't', input: { v: '${steps.nope.output}' } }] }), 422],
    ['retry out of range', put(`${base}/workflows/x`, { steps: [{ id: 'a', task: 't', retry: { maxAttempts: 0 } }] }), 422],
    ['unknown workflow', post(`${base}/runs`, { workflow: 'no-such-workflow' }), 404],
    ['missing workflow field', post(`${base}/runs`, { input: {} }), 400],
    ['unknown run', json(`${base}/runs/does-not-exist`) as Promise<{ status: number; body: Record<string, unknown> }>, 404],
    ['cancel unknown run', post(`${base}/runs/does-not-exist/cancel`, {}), 404],
  ];
  for (const [name, pending, expected] of cases) {
    const { status, body } = await pending;
    assert.equal(status, expected, name);
    const error = body.error as { code: string; message: string };
    assert.match(error.code, /^ORCH_/, name);
    assert.ok(error.message.length > 0, name);
  }
  const invalid = await put(`${base}/workflows/x`, { steps: [{ id: 'a', task: 't', retry: { maxAttempts: 0 } }] });
  assert.match(JSON.stringify(invalid.body), /steps\[0\]\.retry\.maxAttempts/, 'the error names the offending field');

  const notJson = await fetch(`${base}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"workflow": ' });
  assert.equal(notJson.status, 400);
  const huge = await rawPost(`${base}/runs`, JSON.stringify({ workflow: 'diamond', input: { blob: 'x'.repeat(12 * 1024 * 1024) } }));
  assert.equal(huge.status, 413);
  assert.equal((JSON.parse(huge.body) as { error: { code: string } }).error.code, 'ORCH_PAYLOAD_TOO_LARGE');
  assert.equal((await fetch(`${orch.url}/healthz`)).status, 200);
  assert.equal((await post(`${base}/runs`, { workflow: 'diamond', input: { value: 1 } })).status, 202, 'still serving');
});

test('orch run --wait follows the live stream to the end; orch runs lists and shows', { timeout: 180_000 }, async (t) => {
  const orch = await startOrch(t, { dataDir: tempDir(t), port: await freePort() });
  const cli = (...args: string[]) => execFileAsync(process.execPath, [BIN, ...args, '--gateway', orch.url], { timeout: 60_000 }).catch((e: { code: number; stdout: string; stderr: string }) => e);
  const run = await cli('run', 'diamond', '--input', '{"value":5}', '--wait');
  assert.equal('code' in run ? run.code : 0, 0, run.stderr);
  assert.match(run.stdout, /RetryScheduled c #1 in \d+ ms \(base 1000, jitter -?\d+\)/);
  assert.match(run.stdout, /RunSucceeded/);
  const runId = /run (\S+) accepted/.exec(run.stdout)![1]!;

  const list = await cli('runs', 'ls');
  assert.match(list.stdout, new RegExp(`${runId}\\s+diamond@1\\s+SUCCEEDED`));
  const show = await cli('runs', 'show', runId);
  assert.match(show.stdout, /c\s+SUCCEEDED\s+#1 FAILED .*#2 FAILED .*#3 SUCCEEDED/);

  const missing = await cli('run', 'no-such-workflow');
  assert.equal('code' in missing ? missing.code : 0, 1);
  assert.match(missing.stderr, /404 ORCH_NOT_FOUND/);
  const badInput = await cli('run', 'diamond', '--input', '{oops');
  assert.match(badInput.stderr, /--input: not valid JSON/);

  // A run per line, in batches; the same command again starts nothing new.
  const file = join(tempDir(t), 'runs.jsonl');
  writeFileSync(file, '{"value":1}\n\n{"value":2}\n{"value":3}\n');
  const many = await cli('run', 'diamond', '--inputs', file, '--idempotency-key', 'backfill');
  assert.equal('code' in many ? many.code : 0, 0, many.stderr);
  assert.match(many.stdout, /3 of 3 lines: 3 runs started, 0 already started, 0 failed/);
  const again = await cli('run', 'diamond', '--inputs', file, '--idempotency-key', 'backfill');
  assert.match(again.stdout, /3 of 3 lines: 0 runs started, 3 already started, 0 failed/);
  const listed = await cli('runs', 'ls', '--workflow', 'diamond', '--limit', '10');
  assert.equal(listed.stdout.split('\n').filter((line) => line.includes('diamond@1')).length, 4, 'the run above and the three of the file');
  writeFileSync(file, '{"value":4}\n{oops\n');
  const bad = await cli('run', 'diamond', '--inputs', file);
  assert.equal('code' in bad ? bad.code : 0, 1);
  assert.match(bad.stderr, /--inputs: 1 bad line, no run started\nline 2: not valid JSON/);
});

test('SIGTERM is graceful: the step in flight finishes and is committed, so nothing runs twice after a restart', { timeout: 180_000 }, async (t) => {
  const dataDir = tempDir(t);
  const port = await freePort();
  const first = await startOrch(t, { dataDir, port });
  const accepted = await post(`${first.url}/api/v1/runs`, { workflow: 'sleepy-chain', input: { ms: 1500 } });
  const runId = String(accepted.body.runId);
  await waitFor(async () => (await json<{ steps?: Record<string, { status: string }> }>(`${first.url}/api/v1/runs/${runId}`)).body.steps?.two?.status === 'RUNNING', 30_000);
  const stoppedAt = Date.now();
  first.child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => first.child.once('exit', (c) => resolve(c)));
  assert.equal(code, 0, first.output());
  assert.match(first.output(), /SIGTERM: shutting down/);
  assert.ok(Date.now() - stoppedAt < 12_000, 'within the shutdown grace period');

  const second = await startOrch(t, { dataDir, port });
  const run = await waitForStatus(second.url, runId, ['SUCCEEDED', 'FAILED'], 60_000);
  assert.equal(run.status, 'SUCCEEDED');
  // The attempt in flight at SIGTERM finished before the exit: it kept attempt 1 and never ran again.
  assert.deepEqual(Object.values(run.steps).map((s) => s.attempts.length), [1, 1, 1, 1, 1]);
  const events = await json<{ items: { type: string; data: { stepId?: string } }[] }>(`${second.url}/api/v1/runs/${runId}/events?since=0`);
  const started = events.body.items.filter((e) => e.type === 'StepStarted' && e.data.stepId === 'two');
  assert.equal(started.length, 1);
});

test('with API tokens on, orch run sends ORCH_API_TOKEN on REST and the stream; without it the gateway says 401', { timeout: 180_000 }, async (t) => {
  const writer = 'writer-token-0123456789abcdef';
  const orch = await startOrch(t, { dataDir: tempDir(t), port: await freePort(), env: { ORCH_API_TOKENS: `ci:write:${writer}` } });
  const cli = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    execFileAsync(process.execPath, [BIN, ...args, '--gateway', orch.url], { timeout: 60_000, env: { ...process.env, ...env } }).catch((e: { code: number; stdout: string; stderr: string }) => e);
  const denied = await cli({ ORCH_API_TOKEN: '' }, 'runs', 'ls');
  assert.match(denied.stderr, /401 ORCH_UNAUTHORIZED/);
  const run = await cli({ ORCH_API_TOKEN: writer }, 'run', 'fail-fast', '--wait');
  assert.equal('code' in run ? run.code : 0, 1, 'the run fails, as fail-fast does');
  assert.match(run.stdout, /RunFailed/, 'the live stream was followed with the token');
});
