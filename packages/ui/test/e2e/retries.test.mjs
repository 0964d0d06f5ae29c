/**
 * Browser e2e: a flaky step shows each retry live: the node counts attempts, the countdown runs
 * down to the next attempt and explains the recorded base delay and jitter, and the timeline has
 * one bar per attempt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, launchBrowser, missingPrerequisite, startEngine } from './helpers.mjs';

const skip = missingPrerequisite();

export const SLOW_FLAKY = {
  name: 'ui-slow-flaky',
  description: 'A flaky step with a long, jitter-free backoff, so that its countdown can be watched.',
  steps: [
    { id: 'prepare', task: 'demo.echo', input: { hello: 'world' } },
    {
      id: 'flaky',
      task: 'demo.flaky',
      dependsOn: ['prepare'],
      input: { failTimes: 2 },
      retry: { maxAttempts: 4, initialIntervalMs: 3000, backoffCoefficient: 1.5, jitter: 'none' },
    },
    { id: 'finish', task: 'demo.echo', dependsOn: ['flaky'], input: { done: true } },
  ],
};

test('a flaky step shows its retries and a countdown to the next attempt', { skip, timeout: 120_000 }, async (t) => {
  const engine = await startEngine(t);
  await api(engine.url, `/api/v1/workflows/${SLOW_FLAKY.name}`, { method: 'PUT', body: JSON.stringify(SLOW_FLAKY) });
  const { page, errors } = await launchBrowser(t);
  // Load the UI first, so that it is warm when the run starts and sees the first retry wait.
  await page.goto(`${engine.url}/#/runs`);
  await page.locator('[data-testid="connection"][data-state="live"]').waitFor();
  const { runId } = await api(engine.url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow: SLOW_FLAKY.name, input: {} }) });
  await page.evaluate((id) => (window.location.hash = `#/runs/${id}`), runId);
  const flaky = page.locator('[data-testid="step-flaky"]');

  await page.locator('[data-testid="step-flaky"][data-attempts="1"][data-status="RETRY_WAIT"]').waitFor({ timeout: 30_000 });
  const countdown = flaky.locator('[data-testid="retry-countdown-left"]');
  const first = parseFloat(await countdown.innerText());
  await page.waitForTimeout(700);
  const second = parseFloat(await countdown.innerText());
  console.log(`# countdown: ${first} s, then ${second} s`);
  assert.ok(first > 0 && first <= 3.0, `the first retry is due within the 3 s base delay (saw ${first})`);
  assert.ok(second < first, 'the countdown runs down');
  // The explanation shows the recorded base delay and jitter.
  const why = await page.locator('[data-testid="step-panel"] [data-testid="retry-countdown"]').first().innerText();
  assert.match(why, /base 3\.0 s/);
  assert.match(why, /none/);
  assert.equal(await flaky.getAttribute('data-attempts'), '1');

  // The second failure waits 3 s × 1.5.
  await page.locator('[data-testid="step-flaky"][data-attempts="2"][data-status="RETRY_WAIT"]').waitFor({ timeout: 30_000 });
  assert.match(await page.locator('[data-testid="step-panel"]').innerText(), /base 4\.5 s/);

  await page.locator('[data-testid="run-detail"][data-status="SUCCEEDED"]').waitFor({ timeout: 40_000 });
  assert.equal(await flaky.getAttribute('data-attempts'), '3');
  for (const n of [1, 2, 3]) assert.equal(await page.locator(`[data-testid="bar-flaky-${n}"]`).count(), 1, `timeline bar of attempt ${n}`);

  // The same story, step by step, in the panel: two failures with their retries, then a success.
  await flaky.click();
  const panel = await page.locator('[data-testid="step-panel-flaky"]').innerText();
  assert.match(panel, /Attempt 1[\s\S]*Failed[\s\S]*retry: base 3\.0 s/);
  assert.match(panel, /Attempt 3[\s\S]*Succeeded/);

  const server = await api(engine.url, `/api/v1/runs/${runId}/events?since=0`);
  const retries = server.items.filter((e) => e.type === 'RetryScheduled');
  assert.deepEqual(retries.map((e) => e.data.baseDelayMs), [3000, 4500]);
  assert.deepEqual(errors, []);
});
