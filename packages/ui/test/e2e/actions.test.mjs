/**
 * Browser e2e: the run page's Cancel and Retry buttons act on the real engine, and the view
 * follows the outcome live.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, launchBrowser, missingPrerequisite, startEngine, waitForWorkflow } from './helpers.mjs';

const skip = missingPrerequisite();

test('cancel a running run, then retry it to success, from the run page', { skip, timeout: 150_000 }, async (t) => {
  const engine = await startEngine(t);
  await waitForWorkflow(engine.url, 'sleepy-chain');
  // The browser first: its start can take longer than the whole run (five steps of 3 s).
  const { page, errors } = await launchBrowser(t);
  const { runId } = await api(engine.url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow: 'sleepy-chain', input: { ms: 3000 } }) });
  await page.goto(`${engine.url}/#/runs/${runId}`);
  // Any step running will do: a slow page load may first show the run a few steps in.
  await page.locator('[data-testid^="step-"][data-status="RUNNING"]').first().waitFor({ timeout: 30_000 });
  assert.equal(await page.isDisabled('[data-testid="retry"]'), true, 'a running run cannot be retried');

  await page.click('[data-testid="cancel"]');
  await page.locator('[data-testid="run-detail"][data-status="CANCELLED"]').waitFor({ timeout: 30_000 });
  assert.equal((await api(engine.url, `/api/v1/runs/${runId}`)).status, 'CANCELLED');
  assert.equal(await page.isDisabled('[data-testid="cancel"]'), true, 'a finished run cannot be cancelled');
  const cancelled = await page.locator('[data-status="CANCELLED"][data-testid^="step-"]').count();
  console.log(`# after cancel: ${cancelled} step(s) cancelled`);

  await page.click('[data-testid="retry"]');
  await page.locator('[data-testid="run-detail"][data-status="SUCCEEDED"]').waitFor({ timeout: 90_000 });
  for (const id of ['one', 'two', 'three', 'four', 'five']) {
    assert.equal(await page.locator(`[data-testid="step-${id}"]`).getAttribute('data-status'), 'SUCCEEDED', id);
  }
  const events = (await api(engine.url, `/api/v1/runs/${runId}/events?since=0`)).items;
  assert.ok(events.some((e) => e.type === 'RunCancelled'));
  assert.ok(events.some((e) => e.type === 'RunRetried'));
  assert.equal(Number(await page.locator('[data-testid="run-detail"]').getAttribute('data-events')), events.length);
  assert.deepEqual(errors.map(String), []);
});
