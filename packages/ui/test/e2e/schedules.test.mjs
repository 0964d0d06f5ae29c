/**
 * Browser e2e: the Schedules page against the real engine. A schedule is listed with its cron,
 * time zone, next firing and policies; Pause and Resume change only `paused`; Trigger now starts a
 * run and links to it, and the run shows among the last runs; Delete asks first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, launchBrowser, missingPrerequisite, startEngine, waitForWorkflow } from './helpers.mjs';

const skip = missingPrerequisite();

test('schedules page: list, pause and resume, trigger now with a link to the run, delete after a confirm', { skip, timeout: 150_000 }, async (t) => {
  const engine = await startEngine(t);
  await waitForWorkflow(engine.url, 'diamond');
  const spec = { workflow: 'diamond', cron: '0 6 1 1 *', timezone: 'Europe/Paris', input: { value: 'scheduled' }, overlap: 'allow', catchup: 'last' };
  await api(engine.url, '/api/v1/schedules/new-year', { method: 'PUT', body: JSON.stringify(spec) });

  const { page, errors } = await launchBrowser(t);
  await page.goto(`${engine.url}/#/runs`);
  await page.click('[data-testid="nav-schedules"]');
  const row = page.locator('[data-testid="schedule-row"][data-name="new-year"]');
  await row.waitFor();
  const text = await row.innerText();
  for (const expected of ['new-year', 'diamond', '0 6 1 1 *', 'Europe/Paris', 'allow', 'last', 'no firings yet']) assert.ok(text.includes(expected), `the row shows ${expected}: ${text}`);
  // A schedule written elsewhere shows up without a reload: the stream says the schedules changed.
  await api(engine.url, '/api/v1/schedules/pushed', { method: 'PUT', body: JSON.stringify({ ...spec, cron: '0 7 1 1 *' }) });
  await page.locator('[data-testid="schedule-row"][data-name="pushed"]').waitFor({ timeout: 5_000 });
  assert.equal((await fetch(`${engine.url}/api/v1/schedules/pushed`, { method: 'DELETE' })).status, 204);
  await page.locator('[data-testid="schedule-row"][data-name="pushed"]').waitFor({ state: 'detached', timeout: 5_000 });
  const next = await row.locator('[data-testid="schedule-next"]').innerText();
  assert.match(next, /^in \d+d \d+h\n\d{4}-01-01 \d\d:00:00$/, `next fire, relative and absolute: ${next}`);

  // Pause: the same body with paused toggled.
  await row.locator('[data-testid="schedule-pause"]').click();
  await page.locator('[data-testid="schedule-row"][data-name="new-year"][data-paused="true"]').waitFor();
  const paused = await api(engine.url, '/api/v1/schedules/new-year');
  assert.equal(paused.paused, true);
  assert.equal(paused.nextFireAt, null);
  for (const [k, v] of Object.entries(spec)) assert.deepEqual(paused[k], v, `pause keeps ${k}`);
  assert.match(await row.locator('[data-testid="schedule-next"]').innerText(), /paused/);
  await row.locator('[data-testid="schedule-pause"]').click();
  await page.locator('[data-testid="schedule-row"][data-name="new-year"][data-paused="false"]').waitFor();
  assert.equal((await api(engine.url, '/api/v1/schedules/new-year')).paused, false);

  // Trigger now: a run starts, the row links to it, and it joins the last runs with its status.
  await row.locator('[data-testid="schedule-trigger"]').click();
  const link = row.locator('[data-testid="schedule-fired-link"]');
  await link.waitFor();
  const lastRun = row.locator('[data-testid="schedule-last-run"]');
  await lastRun.first().waitFor();
  const { lastRuns } = await api(engine.url, '/api/v1/schedules/new-year');
  assert.equal(lastRuns.length, 1);
  assert.equal(lastRuns[0].manual, true);
  const runId = lastRuns[0].runId;
  await link.click();
  await page.locator(`[data-testid="run-detail"][data-run-id="${runId}"][data-status="SUCCEEDED"]`).waitFor({ timeout: 60_000 });
  const run = await api(engine.url, `/api/v1/runs/${runId}`);
  assert.deepEqual(run.input, { value: 'scheduled' });
  await page.click('[data-testid="nav-schedules"]');
  await page.locator('[data-testid="schedule-last-run"] [data-status="SUCCEEDED"]').waitFor();

  // Delete asks first; "No" keeps it, "Yes" deletes it.
  await row.locator('[data-testid="schedule-delete"]').click();
  await row.locator('[data-testid="schedule-delete-confirm"]').waitFor();
  await row.locator('[data-testid="schedule-delete-yes"]').click();
  await page.locator('[data-testid="schedule-row"]').waitFor({ state: 'detached' });
  const gone = await fetch(`${engine.url}/api/v1/schedules/new-year`);
  assert.equal(gone.status, 404);
  assert.deepEqual(errors.map(String), []);
});
