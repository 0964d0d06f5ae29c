/**
 * A payload is stored once: outputs and inputs over the inline limit travel as claim-checks on
 * orch.payloads, handlers see the values, and the hard limit fails clearly without wedging
 * anything. The same flow on the embedded bus and on the real broker.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { isClaimCheck } from '@orchestrator-lite/core';
import type { RunEvent } from '@orchestrator-lite/core';
import { ensureKafka, kafkaSkip } from '@orchestrator-lite/testing';
import { defineTask } from '@orchestrator-lite/worker';
import type { TaskDefinition } from '@orchestrator-lite/worker';
import { startEngine } from './language-engine.js';

const MB = 1024 * 1024;
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

interface Received {
  size: number;
  blobLength: number;
  blobSha: string;
}

async function payloadFlow(t: TestContext, brokers?: string[]): Promise<void> {
  const made = new Map<number, string>();
  const received: Received[] = [];
  const tasks = [
    defineTask('pl.make', async (input: { size: number }) => {
      const blob = 'x'.repeat(input.size - 1) + String(input.size % 10);
      made.set(input.size, sha(blob));
      return { size: input.size, blob };
    }),
    defineTask('pl.check', async (input: { whole: { blob: string }; size: number }) => {
      received.push({ size: input.size, blobLength: input.whole.blob.length, blobSha: sha(input.whole.blob) });
      return { length: input.whole.blob.length };
    }),
  ] as TaskDefinition[];
  const e = await startEngine(t, brokers === undefined ? {} : { brokers }, tasks);
  await e.register({
    name: 'pl-big',
    steps: [
      { id: 'a', task: 'pl.make', input: { size: '${input.size}' }, retry: { maxAttempts: 3, initialIntervalMs: 10 } },
      // The whole output passes through as a claim-check; the field and the condition look inside it.
      { id: 'b', task: 'pl.check', dependsOn: ['a'], if: 'steps.a.output.size > 0', input: { whole: '${steps.a.output}', size: '${steps.a.output.size}' } },
    ],
  });
  await e.register({ name: 'pl-echo', steps: [{ id: 'echo', task: 'lang.echo', input: '${input}' }] });

  // A 5 MB output completes and the next step receives it intact.
  const big = await e.start('pl-big', { size: 5 * MB });
  const done = await e.until(big, 'the 5 MB run to succeed', (r) => r.status === 'SUCCEEDED' || r.status === 'FAILED');
  assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.steps));
  assert.deepEqual(received, [{ size: 5 * MB, blobLength: 5 * MB, blobSha: made.get(5 * MB) }]);
  const output = done.steps.a?.output;
  assert.ok(isClaimCheck(output), 'the run view carries the claim-check, not 5 MB');
  assert.ok(output.$payload.bytes > 5 * MB);
  const events = (await e.call('GET', `/api/v1/runs/${big}/events`)).body as { items: RunEvent[] };
  const scheduledB = events.items.find((ev) => ev.type === 'StepScheduled' && ev.data.stepId === 'b');
  assert.ok(scheduledB?.type === 'StepScheduled');
  assert.ok(isClaimCheck((scheduledB.data.input as { whole: unknown }).whole), 'a whole output passed on stays a claim-check');
  assert.equal((scheduledB.data.input as { size: unknown }).size, 5 * MB, 'a field picked from it is resolved');
  const fetched = await fetch(`${e.url}/api/v1/payloads/${encodeURIComponent(output.$payload.ref)}`);
  assert.equal(fetched.status, 200);
  const value = (await fetched.json()) as { blob: string; size: number };
  assert.equal(sha(value.blob), made.get(5 * MB), 'GET /api/v1/payloads/{ref} answers the value');
  assert.equal((await e.call('GET', '/api/v1/payloads/0.0.0.nosuchpayload')).status, 404);

  // A 20 MB output fails its step for good, while another run keeps flowing.
  const huge = await e.start('pl-big', { size: 20 * MB });
  const small = await e.start('pl-big', { size: 10 });
  const failed = await e.until(huge, 'the 20 MB run to fail', (r) => r.status === 'FAILED' || r.status === 'SUCCEEDED');
  assert.equal(failed.status, 'FAILED');
  const attempts = failed.steps.a?.attempts ?? [];
  assert.equal(attempts.length, 1, 'never retried');
  assert.equal(failed.steps.a?.error?.type, 'ORCH_PAYLOAD_TOO_LARGE');
  assert.match(failed.steps.a?.error?.message ?? '', /limit is 10485760/);
  const ok = await e.until(small, 'the small run to succeed', (r) => r.status === 'SUCCEEDED' || r.status === 'FAILED');
  assert.equal(ok.status, 'SUCCEEDED');

  // A 12 MB run input gets 413 naming the field; a 2 MB one works end to end.
  const refused = await e.call('POST', '/api/v1/runs', { workflow: 'pl-echo', input: { blob: 'y'.repeat(12 * MB) } });
  assert.equal(refused.status, 413);
  assert.equal((refused.body as { error: { code: string; details: { field: string } } }).error.details.field, 'input');
  const blob = 'z'.repeat(2 * MB);
  const echo = await e.start('pl-echo', { blob });
  const echoed = await e.until(echo, 'the 2 MB input run to succeed', (r) => r.status === 'SUCCEEDED' || r.status === 'FAILED');
  assert.equal(echoed.status, 'SUCCEEDED');
  assert.ok(isClaimCheck(echoed.input), 'the run input is a claim-check');
  const echoInput = e.ran['lang.echo']?.at(-1) as { blob: string } | undefined;
  assert.equal(echoInput?.blob, blob, 'the handler got the 2 MB input intact');
  assert.ok(isClaimCheck(echoed.steps.echo?.output), 'its 2 MB output is claim-checked too');
}

void test('payloads on the embedded bus: 5 MB output, 20 MB refused, 12 MB input 413, 2 MB input', { timeout: 120_000 }, async (t) => {
  await payloadFlow(t);
});

void test('payloads on Kafka: 5 MB output, 20 MB refused, 12 MB input 413, 2 MB input', { skip: kafkaSkip(), timeout: 180_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  await payloadFlow(t, brokers);
});
