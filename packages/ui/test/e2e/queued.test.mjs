/**
 * Browser e2e: a run held back by its workflow's concurrency limit says why, next to PENDING in the
 * runs list (live from the stream, and from the list after a reload) and on its own page, until
 * the run ahead of it ends and it is admitted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, launchBrowser, missingPrerequisite, startEngine, waitForWorkflow } from './helpers.mjs';

const skip = missingPrerequisite();

const ONE_AT_A_TIME = {
  name: 'one-per-customer',
  concurrency: { key: 'input.customer', limit: 1, policy: 'queue' },
  steps: [
    { id: 'hold', type: 'wait', signal: 'go', timeoutMs: 120_000 },
    { id: 'done', task: 'demo.echo', dependsOn: ['hold'], input: { customer: '${input.customer}' } },
  ],
};

async function until(what, fn, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a queued run shows why it waits, in the list and on its page, until it is admitted', { skip, timeout: 150_000 }, async (t) => {
  const engine = await startEngine(t);
  await waitForWorkflow(engine.url, 'diamond');
  await api(engine.url, `/api/v1/workflows/${ONE_AT_A_TIME.name}`, { method: 'PUT', body: JSON.stringify(ONE_AT_A_TIME) });
  const start = async () => (await api(engine.url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow: ONE_AT_A_TIME.name, input: { customer: 'acme' } }) })).runId;
  const run = (id) => api(engine.url, `/api/v1/runs/${id}`);

  const first = await start();
  await until('the first run holds the slot', async () => (await run(first)).steps.hold?.status === 'RUNNING');
  const { page, errors } = await launchBrowser(t);
  await page.goto(`${engine.url}/#/runs`);
  await page.locator(`[data-testid="run-row"][data-run-id="${first}"]`).waitFor();

  // Live: the second run's row follows its RunQueued event.
  const second = await start();
  // Its reason says first that it asks for a slot, then, once the gate answers, how many are ahead.
  const queued = await until('the gate to queue the second run', async () => {
    const q = (await run(second)).queued;
    return q?.reason.includes('taken') ? q : undefined;
  });
  assert.equal(queued.key, 'acme');
  const row = page.locator(`[data-testid="run-row"][data-run-id="${second}"]`);
  await row.locator('[data-testid="queued-reason"]').waitFor();
  assert.equal(await row.getAttribute('data-status'), 'PENDING');
  assert.equal(await row.locator('[data-testid="queued-reason"]').innerText(), queued.reason);

  // From the list after a reload: GET /api/v1/runs carries it too.
  const listed = (await api(engine.url, '/api/v1/runs?status=PENDING')).items.find((r) => r.runId === second);
  assert.deepEqual(listed.queued, queued);
  await page.reload();
  await row.locator('[data-testid="queued-reason"]').waitFor();

  // The run's page says why, until the run ahead ends and this one is admitted.
  await row.click();
  // The note inside the run's page: until the page opens, the list row's reason matches too.
  const detail = page.locator(`[data-testid="run-detail"][data-run-id="${second}"]`);
  await detail.waitFor();
  const note = detail.locator('[data-testid="queued-reason"]');
  await note.waitFor();
  const text = await note.innerText();
  for (const part of [queued.reason, 'key acme', 'limit 1', 'policy queue']) assert.ok(text.includes(part), `${part} in ${text}`);
  await api(engine.url, `/api/v1/runs/${first}/signals/go`, { method: 'POST', body: '{}' });
  await page.locator(`[data-testid="run-detail"][data-run-id="${second}"][data-status="RUNNING"]`).waitFor({ timeout: 30_000 });
  await note.waitFor({ state: 'detached' });
  assert.equal((await run(second)).queued, undefined);
  assert.deepEqual(errors.map(String), []);
});
