/**
 * Browser e2e: what the UI says when it cannot show what was asked. An unknown run id (the API
 * says 404) shows "not found" instead of waiting forever; a gateway with API tokens (401) asks
 * for a token, keeps it for the tab (sessionStorage), and then shows the runs, live.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, launchBrowser, missingPrerequisite, startEngine, waitForWorkflow } from './helpers.mjs';

const skip = missingPrerequisite();

test('an unknown run id shows "not found"', { skip, timeout: 90_000 }, async (t) => {
  const engine = await startEngine(t);
  await waitForWorkflow(engine.url, 'diamond');
  const { page, errors } = await launchBrowser(t);
  await page.goto(`${engine.url}/#/runs/no-such-run-42`);
  const notFound = page.locator('[data-testid="run-not-found"]');
  await notFound.waitFor({ timeout: 15_000 });
  assert.match(await notFound.innerText(), /no-such-run-42 not found/);
  assert.equal(await page.locator('[data-testid="run-waiting"]').count(), 0);
  assert.deepEqual(errors.map(String).filter((e) => !/404/.test(e)), []);
});

test('a gateway with tokens: the UI asks for one on 401, keeps it for the tab, then shows the runs live', { skip, timeout: 90_000 }, async (t) => {
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
  const { page } = await launchBrowser(t);
  await page.goto(`${engine.url}/#/runs`);
  const prompt = page.locator('[data-testid="token-prompt"]');
  await prompt.waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('text=Loading runs').count(), 0, 'no endless loading');

  // A wrong token: asked again, saying so.
  await page.locator('[data-testid="token-input"]').fill('not-the-right-token-000');
  await page.locator('[data-testid="token-submit"]').click();
  await page.locator('[data-testid="token-prompt"]', { hasText: 'not accepted' }).waitFor({ timeout: 15_000 });

  await page.locator('[data-testid="token-input"]').fill(reader);
  await page.locator('[data-testid="token-submit"]').click();
  await page.locator('[data-testid="connection"][data-state="live"]').waitFor({ timeout: 15_000 });
  await page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).waitFor({ timeout: 15_000 });
  assert.equal(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('orchestrator-lite:token:')).length), 1);

  // A reload in the same tab needs no prompt.
  await page.reload();
  await page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).waitFor({ timeout: 15_000 });
  assert.equal(await prompt.count(), 0);
});
