/**
 * Browser e2e: the UI embedded two ways. The example host app loads the federated remote
 * (remoteEntry.js, ./App) and renders it inside its own layout; a plain HTML page renders the
 * `<orchestrator-lite-app>` custom element, whose styles stay inside its shadow root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, launchBrowser, missingPrerequisite, startEngine, waitForWorkflow } from './helpers.mjs';

const skip = missingPrerequisite();

test('the example host renders the federated remote, live', { skip, timeout: 90_000 }, async (t) => {
  const engine = await startEngine(t);
  await waitForWorkflow(engine.url, 'diamond');
  const { runId } = await api(engine.url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow: 'diamond', input: { value: 1 } }) });
  const { page, errors } = await launchBrowser(t);
  const remoteRequests = [];
  page.on('request', (r) => r.url().endsWith('/remoteEntry.js') && remoteRequests.push(r.url()));
  await page.goto(`${engine.url}/examples/host/index.html?remote=${encodeURIComponent(`${engine.url}/remoteEntry.js`)}`);
  await page.locator('[data-testid="host-title"]').waitFor();
  const app = page.locator('[data-testid="host-slot"] [data-testid="ol-app"]');
  await app.waitFor();
  await app.locator('[data-testid="connection"][data-state="live"]').waitFor();
  await app.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).waitFor();
  assert.ok(remoteRequests.length >= 1, 'the host fetched remoteEntry.js');
  // The remote's CSS came along: its top bar is styled.
  const bg = await app.locator('.ol-top').evaluate((el) => getComputedStyle(el).position);
  assert.equal(bg, 'sticky');
  // One React: the host shares its React with the remote (a second copy would break hooks).
  await app.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).click();
  await app.locator('[data-testid="run-detail"][data-status="SUCCEEDED"]').waitFor({ timeout: 30_000 });
  assert.equal(page.url().includes('#/runs'), false, 'memory routing leaves the host URL alone');
  assert.deepEqual(errors.map(String), []);
});

test('a plain HTML page renders the custom element with its CSS in the shadow root', { skip, timeout: 90_000 }, async (t) => {
  const engine = await startEngine(t);
  await waitForWorkflow(engine.url, 'diamond');
  const { runId } = await api(engine.url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow: 'diamond', input: {} }) });
  const { page, errors } = await launchBrowser(t);
  await page.goto(`${engine.url}/examples/element.html?gateway=${encodeURIComponent(engine.url)}`);
  await page.locator('[data-testid="page-title"]').waitFor();
  const host = page.locator('orchestrator-lite-app');
  assert.equal(await host.evaluate((el) => el.shadowRoot !== null && el.shadowRoot.querySelector('style') !== null), true, 'CSS lives in the shadow root');
  // Playwright's CSS locators pierce open shadow roots.
  await host.locator('[data-testid="connection"][data-state="live"]').waitFor();
  await host.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).waitFor();
  // The page's own styles (Comic Sans, hot pink) do not leak into the element.
  const font = await host.locator('.ol-brand').evaluate((el) => getComputedStyle(el).fontFamily);
  assert.doesNotMatch(font, /Comic Sans/);
  // Nor do the element's styles leak out into the page.
  assert.equal(await page.evaluate(() => document.head.querySelectorAll('style').length), 1, 'only the page’s own <style> in <head>');
  await host.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).click();
  await host.locator('[data-testid="run-detail"][data-status="SUCCEEDED"]').waitFor({ timeout: 30_000 });
  assert.equal(await host.locator('[data-testid="step-d"]').getAttribute('data-status'), 'SUCCEEDED');
  assert.deepEqual(errors.map(String), []);
});

test('the custom element works with a gateway that requires tokens, given its token attribute', { skip, timeout: 90_000 }, async (t) => {
  const reader = 'ui-reader-token-0123456789';
  const writer = 'ci-writer-token-0123456789';
  const engine = await startEngine(t, { env: { ORCH_API_TOKENS: `ui:read:${reader},ci:write:${writer}` } });
  const auth = { headers: { authorization: `Bearer ${writer}` } };
  const deadline = Date.now() + 20_000;
  while (!(await api(engine.url, '/api/v1/workflows', auth)).items.some((w) => w.name === 'diamond')) {
    if (Date.now() > deadline) throw new Error('the demo workflows were not registered');
    await new Promise((r) => setTimeout(r, 200));
  }
  const { runId } = await api(engine.url, '/api/v1/runs', { ...auth, method: 'POST', body: JSON.stringify({ workflow: 'diamond', input: {} }) });
  assert.equal((await fetch(`${engine.url}/api/v1/runs`)).status, 401, 'the API requires a token');
  const { page, errors } = await launchBrowser(t);
  await page.goto(`${engine.url}/examples/element.html?gateway=${encodeURIComponent(engine.url)}&token=${reader}`);
  const host = page.locator('orchestrator-lite-app');
  // REST (Authorization header) and the live stream (access_token) both pass with the read token.
  await host.locator('[data-testid="connection"][data-state="live"]').waitFor();
  await host.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).click();
  await host.locator('[data-testid="run-detail"][data-status="SUCCEEDED"]').waitFor({ timeout: 30_000 });
  assert.deepEqual(errors.map(String), []);
});
