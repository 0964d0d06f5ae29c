/**
 * Browser e2e of the workflow language on the real engine: an approval run waits on its "approve"
 * step; the Approve button sends the signal with the JSON payload typed in the panel, and the run
 * goes on down the approved branch while the rejected one is greyed with its reason. An order run
 * shows its forEach as one node with item counts that opens to its items, and links to its child.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, launchBrowser, missingPrerequisite, startEngine, waitForWorkflow } from './helpers.mjs';

const skip = missingPrerequisite();

test('approve a waiting run from the browser; skipped steps show why', { skip, timeout: 150_000 }, async (t) => {
  const engine = await startEngine(t);
  await waitForWorkflow(engine.url, 'approval');
  const { runId } = await api(engine.url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow: 'approval', input: { request: 'laptop', amount: 900 } }) });
  const { page, errors } = await launchBrowser(t);
  await page.goto(`${engine.url}/#/runs/${runId}`);
  await page.locator('[data-testid="step-approve"][data-status="RUNNING"][data-kind="wait"]').waitFor({ timeout: 30_000 });

  await page.click('[data-testid="approve-approve"]');
  await page.locator('[data-testid="signal-form-approve"]').waitFor();
  await page.fill('[data-testid="signal-payload"]', '{ "approved": true, "by": "browser" }');
  await page.click('[data-testid="signal-send"]');

  await page.locator('[data-testid="run-detail"][data-status="SUCCEEDED"]').waitFor({ timeout: 30_000 });
  const run = await api(engine.url, `/api/v1/runs/${runId}`);
  assert.deepEqual(run.steps.approve.output, { approved: true, by: 'browser' });
  assert.equal(await page.locator('[data-testid="step-rejected"]').getAttribute('data-status'), 'SKIPPED');
  assert.match(await page.locator('[data-testid="skip-reason-rejected"]').first().innerText(), /condition .* is false/);
  assert.equal(await page.locator('[data-testid="step-approved"]').getAttribute('data-status'), 'SUCCEEDED');
  assert.deepEqual(errors.map(String), []);
});

test('a forEach is one node with item counts that opens to its items; a workflow step links to its child', { skip, timeout: 150_000 }, async (t) => {
  const engine = await startEngine(t);
  await waitForWorkflow(engine.url, 'order');
  const input = { id: 'o-1', amount: 150, lines: [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }] };
  // The browser is up before the run starts: the countdown shows only during the 5 s sleep.
  const { page, errors } = await launchBrowser(t);
  const { runId } = await api(engine.url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow: 'order', input }) });
  await page.goto(`${engine.url}/#/runs/${runId}`);
  await page.locator('[data-testid="step-cool-down"][data-kind="sleep"] [data-testid="sleep-countdown"]').waitFor({ timeout: 30_000 });
  assert.match(await page.locator('[data-testid="step-pick"] [data-testid="item-counts"]').innerText(), /3\/3 items/);
  await page.click('[data-testid="step-pick"]');
  await page.locator('[data-testid="items-pick"] [data-testid="item-pick-2"]').waitFor();
  await page.locator('[data-testid="run-detail"][data-status="SUCCEEDED"]').waitFor({ timeout: 60_000 });
  await page.click('[data-testid="step-panel"] .ol-x');
  await page.click('[data-testid="step-invoice"] [data-testid="child-link-invoice"] a');
  await page.locator('[data-testid="parent-link"]').waitFor({ timeout: 15_000 });
  const child = await api(engine.url, `/api/v1/runs/${(await api(engine.url, `/api/v1/runs/${runId}`)).steps.invoice.childRunId}`);
  assert.equal(child.parentRunId, runId);
  assert.equal(await page.locator('[data-testid="run-id"]').innerText(), child.runId);
  assert.deepEqual(errors.map(String), []);
});
