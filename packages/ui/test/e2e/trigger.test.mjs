/**
 * Browser e2e: start the diamond workflow from the trigger form; the pending row appears at once,
 * then the run goes to SUCCEEDED in the graph, live, without a reload. A start the server rejects
 * is rolled back with the server's message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, missingPrerequisite, startEngine, waitForWorkflow, api } from './helpers.mjs';

const skip = missingPrerequisite();

test('trigger diamond from the form: pending row, then SUCCEEDED in the graph without a reload', { skip, timeout: 120_000 }, async (t) => {
  const engine = await startEngine(t);
  await waitForWorkflow(engine.url, 'diamond');
  const { page, errors } = await launchBrowser(t);
  await page.goto(`${engine.url}/#/new/diamond`);
  await page.locator('[data-testid="connection"][data-state="live"]').first().waitFor();
  // A marker that a reload would erase.
  await page.evaluate(() => {
    window.__noReload = true;
  });

  // The input is validated before anything is sent.
  await page.fill('[data-testid="trigger-input"]', '{"value": ');
  await page.locator('[data-testid="trigger-input-error"]').waitFor();
  assert.equal(await page.isDisabled('[data-testid="trigger-submit"]'), true);
  await page.fill('[data-testid="trigger-input"]', '{"value": "hello"}');
  assert.equal(await page.isDisabled('[data-testid="trigger-submit"]'), false);

  // Hold the POST a moment in the browser, so the optimistic row can be seen before the answer.
  let release;
  const held = new Promise((r) => (release = r));
  await page.route('**/api/v1/runs', async (route) => {
    if (route.request().method() === 'POST') await held;
    await route.continue();
  });
  await page.click('[data-testid="trigger-submit"]');
  const pendingRow = page.locator('[data-testid="pending-row"]');
  await pendingRow.waitFor();
  assert.match(await pendingRow.innerText(), /diamond/);
  release();

  // Confirmed: the UI opens the run and shows it live.
  const detail = page.locator('[data-testid="run-detail"]');
  await detail.waitFor();
  assert.equal(await pendingRow.count(), 0, 'the pending row is gone once the start is confirmed');
  await page.unroute('**/api/v1/runs');
  const runId = await detail.getAttribute('data-run-id');
  assert.ok(runId);
  const seen = new Set();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    seen.add(await page.locator('[data-testid="step-c"]').getAttribute('data-status'));
    if ((await detail.getAttribute('data-status')) === 'SUCCEEDED') break;
    await page.waitForTimeout(50);
  }
  assert.equal(await detail.getAttribute('data-status'), 'SUCCEEDED');
  for (const id of ['a', 'b', 'c', 'd']) {
    assert.equal(await page.locator(`[data-testid="step-${id}"]`).getAttribute('data-status'), 'SUCCEEDED', `step ${id}`);
  }
  // c is demo.flaky failing twice: three attempts, counted on its node.
  assert.equal(await page.locator('[data-testid="step-c"]').getAttribute('data-attempts'), '3');
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the page was never reloaded');
  console.log(`# step c states seen live: ${[...seen].join(' → ')}`);

  const server = await api(engine.url, `/api/v1/runs/${runId}`);
  assert.equal(server.status, 'SUCCEEDED');
  assert.equal(Number(await detail.getAttribute('data-last-seq')), server.lastSeq);
  assert.deepEqual(errors, []);
});

test('a start the server rejects is rolled back with its error message', { skip, timeout: 60_000 }, async (t) => {
  const engine = await startEngine(t);
  await waitForWorkflow(engine.url, 'diamond');
  const { page } = await launchBrowser(t);
  await page.goto(`${engine.url}/#/new`);
  await page.locator('[data-testid="trigger-workflow"] option').first().waitFor({ state: 'attached' });
  // A workflow that does not exist (deleted meanwhile, say): the gateway answers 404.
  await page.evaluate(() => {
    const sel = document.querySelector('[data-testid="trigger-workflow"]');
    const opt = document.createElement('option');
    opt.value = 'no-such-workflow';
    opt.textContent = 'no-such-workflow';
    sel.append(opt);
  });
  await page.selectOption('[data-testid="trigger-workflow"]', 'no-such-workflow');
  await page.click('[data-testid="trigger-submit"]');
  const notice = page.locator('[data-testid="notice-error"]');
  await notice.waitFor();
  const text = await notice.innerText();
  assert.match(text, /no-such-workflow/);
  const res = await fetch(`${engine.url}/api/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflow: 'no-such-workflow' }) });
  const body = await res.json();
  assert.ok(text.includes(body.error.message), `the notice shows the server's message: ${text} vs ${body.error.message}`);
  assert.equal(await page.locator('[data-testid="pending-row"]').count(), 0, 'the optimistic row is rolled back');
  // A fresh engine: no run exists, and the rejected start left none behind.
  assert.equal(await page.locator('[data-testid="run-row"]').count(), 0);
});
