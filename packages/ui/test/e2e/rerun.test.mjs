/**
 * Browser e2e: rerun a failed run from its failed step with an edited input, from the run page;
 * the new run reuses the step before it and succeeds, and the compare view shows the two runs
 * side by side with the reused step marked and the changed steps highlighted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, launchBrowser, missingPrerequisite, startEngine, waitForWorkflow } from './helpers.mjs';

const skip = missingPrerequisite();

const CHECKED = {
  name: 'checked',
  steps: [
    { id: 'prepare', task: 'demo.echo', input: { value: '${input.value}' } },
    { id: 'check', task: 'demo.flaky', dependsOn: ['prepare'], input: { failTimes: '${input.failTimes}', value: '${steps.prepare.output.value}' }, retry: { maxAttempts: 1 } },
    { id: 'finish', task: 'demo.echo', dependsOn: ['check'], input: { checked: '${steps.check.output}' } },
  ],
  output: '${steps.finish.output}',
};

async function waitForStatus(base, runId, statuses, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${base}/api/v1/runs/${runId}`);
    const run = res.ok ? await res.json() : undefined;
    if (run !== undefined && statuses.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} is ${run?.status ?? 'unknown'} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('rerun from a failed step with an edited input, then compare the two runs', { skip, timeout: 150_000 }, async (t) => {
  const engine = await startEngine(t);
  await waitForWorkflow(engine.url, 'diamond');
  await api(engine.url, '/api/v1/workflows/checked', { method: 'PUT', body: JSON.stringify(CHECKED) });
  const { runId } = await api(engine.url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow: 'checked', input: { value: 'v1', failTimes: 5 } }) });
  const failed = await waitForStatus(engine.url, runId, ['FAILED', 'SUCCEEDED']);
  assert.equal(failed.status, 'FAILED');

  const { page, errors } = await launchBrowser(t);
  await page.goto(`${engine.url}/#/runs/${runId}`);
  await page.locator('[data-testid="run-detail"][data-status="FAILED"]').waitFor();
  await page.click('[data-testid="step-check"]');
  await page.click('[data-testid="rerun-from-here"]');
  const plan = await page.locator('[data-testid="rerun-plan"]').innerText();
  assert.match(plan, /runs again: check, finish/);
  assert.match(plan, /reuses the outputs of: prepare/);
  assert.deepEqual(JSON.parse(await page.inputValue('[data-testid="rerun-input"]')), { value: 'v1', failTimes: 5 });

  // A bad JSON is named before anything is sent.
  await page.fill('[data-testid="rerun-input"]', '{"value": "v1", "failTimes": }');
  const problem = await page.locator('[data-testid="rerun-input-error"]').innerText();
  assert.match(problem, /input is not valid JSON.*Unexpected token '}'/, 'the problem is named');
  assert.equal(await page.isDisabled('[data-testid="rerun-submit"]'), true);
  await page.fill('[data-testid="rerun-input"]', '{"value": "v1", "failTimes": 0}');
  await page.click('[data-testid="rerun-submit"]');

  // The page moves to the new run, which reuses prepare and succeeds.
  const detail = page.locator(`[data-testid="run-detail"]:not([data-run-id="${runId}"])`);
  await detail.waitFor();
  const newRunId = await detail.getAttribute('data-run-id');
  await page.locator(`[data-testid="run-detail"][data-run-id="${newRunId}"][data-status="SUCCEEDED"]`).waitFor({ timeout: 60_000 });
  const rerun = await api(engine.url, `/api/v1/runs/${newRunId}`);
  assert.deepEqual(rerun.rerunOf, { runId, fromStep: 'check' });
  assert.deepEqual(rerun.input, { value: 'v1', failTimes: 0 });
  const events = (await api(engine.url, `/api/v1/runs/${newRunId}/events?since=0`)).items;
  assert.deepEqual(events.filter((e) => e.type === 'StepReused').map((e) => e.data.stepId), ['prepare']);
  assert.match(await page.locator('[data-testid="rerun-of"]').innerText(), /rerun of .* from step check/);

  // The compare view: the input and the rerun steps differ, prepare is reused and the same.
  await page.click('[data-testid="compare-link"]');
  await page.locator('[data-testid="compare-table"]').waitFor();
  const row = (id) => page.locator(`[data-testid="compare-step"][data-step="${id}"]`);
  assert.equal(await row('prepare').getAttribute('data-reused'), 'true');
  assert.equal(await row('prepare').getAttribute('data-changed'), 'false');
  assert.equal(await row('prepare').locator('[data-testid="compare-reused"]').count(), 1);
  assert.equal(await row('check').getAttribute('data-changed'), 'true');
  assert.equal(await row('check').getAttribute('data-reused'), 'false');
  assert.match(await row('check').innerText(), /Failed[\s\S]*flaky: attempt 1 fails[\s\S]*Succeeded/);
  assert.equal(await row('finish').getAttribute('data-changed'), 'true');
  assert.equal(await page.locator('[data-testid="compare-input"]').getAttribute('data-changed'), 'true');
  assert.match(await page.locator('[data-testid="compare-summary"]').innerText(), /2 of 3 differ · 1 reused/);
  assert.equal(await row('check').evaluate((el) => el.classList.contains('ol-diff')), true, 'the changed step is highlighted');
  assert.equal(await row('prepare').evaluate((el) => el.classList.contains('ol-diff')), false);
  assert.deepEqual(errors.map(String), []);
});
