/**
 * Browser e2e: responsiveness with 1,000 runs in the list and a 200-step graph. It measures and
 * prints figures (load time, frame gaps while scrolling and while events stream in); it asserts
 * behaviour (every run counted, the list virtualized, every step shown) and only a loose bound on
 * time, since the machine is shared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, launchBrowser, missingPrerequisite, startEngine } from './helpers.mjs';

const skip = missingPrerequisite();

/** Frame gaps (ms) measured in the page for `ms` while `action` runs. */
async function frameGaps(page, ms, action) {
  await page.evaluate((dur) => {
    window.__gaps = [];
    let last = performance.now();
    const end = last + dur;
    const tick = (now) => {
      window.__gaps.push(now - last);
      last = now;
      if (now < end) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, ms);
  await action();
  await page.waitForTimeout(ms + 100);
  const gaps = await page.evaluate(() => window.__gaps);
  gaps.sort((a, b) => a - b);
  return { frames: gaps.length, p50: gaps[Math.floor(gaps.length / 2)] ?? 0, p95: gaps[Math.floor(gaps.length * 0.95)] ?? 0, max: gaps.at(-1) ?? 0 };
}

const fmt = (g) => `${g.frames} frames, gap p50 ${g.p50.toFixed(1)} ms, p95 ${g.p95.toFixed(1)} ms, max ${g.max.toFixed(1)} ms`;

test('1,000 runs in the list stay responsive', { skip, timeout: 300_000 }, async (t) => {
  const engine = await startEngine(t);
  await api(engine.url, '/api/v1/workflows/ui-tiny', { method: 'PUT', body: JSON.stringify({ name: 'ui-tiny', steps: [{ id: 'only', task: 'demo.echo', input: { n: '${input.n}' } }] }) });
  const started = Date.now();
  const N = 1000;
  for (let i = 0; i < N; i += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, N - i) }, (_, k) => api(engine.url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow: 'ui-tiny', input: { n: i + k } }) })),
    );
  }
  console.log(`# started ${N} runs in ${Date.now() - started} ms`);
  const deadline = Date.now() + 120_000;
  let listed = 0;
  while (Date.now() < deadline) {
    listed = (await api(engine.url, '/api/v1/runs?limit=1000&workflow=ui-tiny')).items.length;
    if (listed === N) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(listed, N, 'the read model lists every run');

  const { page, errors } = await launchBrowser(t);
  const t0 = Date.now();
  await page.goto(`${engine.url}/#/runs`);
  await page.locator(`[data-testid="count-ALL"]:has-text("${N}")`).waitFor({ timeout: 60_000 });
  await page.locator('[data-testid="run-row"]').first().waitFor();
  const loadMs = Date.now() - t0;
  const rendered = await page.locator('[data-testid="run-row"]').count();
  console.log(`# list of ${N} runs: first paint with all counted in ${loadMs} ms; ${rendered} row elements in the DOM`);
  assert.ok(rendered < 100, `the list is virtualized (${rendered} rows in the DOM)`);

  const table = page.locator('[data-testid="runs-table"]');
  const scroll = await frameGaps(page, 1500, async () => {
    for (let i = 1; i <= 10; i++) await table.evaluate((el, f) => (el.scrollTop = el.scrollHeight * f), i / 10);
  });
  console.log(`# scrolling 1,000 rows: ${fmt(scroll)}`);
  assert.ok(await page.locator('[data-testid="run-row"]').count() > 0);

  // Filters and search over 1,000 rows.
  const s0 = Date.now();
  await page.fill('[data-testid="search"]', 'zz-no-such-id');
  await page.locator('[data-testid="row-count"]:has-text("0 of")').waitFor();
  await page.fill('[data-testid="search"]', '');
  await page.locator(`[data-testid="row-count"]:has-text("${N} of ${N}")`).waitFor();
  console.log(`# search round trip over ${N} rows: ${Date.now() - s0} ms`);

  // A new run still appears live on top of 1,000.
  const l0 = Date.now();
  const { runId } = await api(engine.url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow: 'ui-tiny', input: { n: -1 } }) });
  await table.evaluate((el) => (el.scrollTop = 0));
  await page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).waitFor();
  console.log(`# a new run appeared in the list ${Date.now() - l0} ms after POST`);
  assert.ok(loadMs < 60_000);
  assert.deepEqual(errors.map(String), []);
});

test('the run list keeps up with a busy engine: counts from the gateway, the newest runs kept, the page still drawing', { skip, timeout: 300_000 }, async (t) => {
  const engine = await startEngine(t);
  await api(engine.url, '/api/v1/workflows/ui-busy', { method: 'PUT', body: JSON.stringify({ name: 'ui-busy', steps: [{ id: 'a', task: 'demo.echo', input: {} }, { id: 'b', task: 'demo.echo', dependsOn: ['a'], input: {} }] }) });
  const { page, errors } = await launchBrowser(t);
  await page.goto(`${engine.url}/#/runs`);
  await page.locator('[data-testid="connection"][data-state="live"]').waitFor();
  const N = 8000;
  const BATCH = 500;
  let started = 0;
  const t0 = Date.now();
  const load = (async () => {
    while (started < N) {
      const runs = Array.from({ length: BATCH }, (_, i) => ({ workflow: 'ui-busy', input: { n: started + i } }));
      await api(engine.url, '/api/v1/runs/batch', { method: 'POST', body: JSON.stringify({ runs }) });
      started += BATCH;
    }
  })();
  const during = await frameGaps(page, 3000, async () => {});
  await load;
  console.log(`# ${N} runs started in ${Date.now() - t0} ms; the list while they ran: ${fmt(during)}`);
  await page.locator(`[data-testid="count-SUCCEEDED"]:has-text("${N}")`).waitFor({ timeout: 120_000 });
  console.log(`# the list counted all ${N} runs SUCCEEDED ${Date.now() - t0} ms after the first was started`);
  await page.locator(`[data-testid="count-ALL"]:has-text("${N}")`).waitFor();
  // The live chart counted every run that ended (per minute over its 5 minutes), not only the kept ones.
  await page.locator('[data-testid="metrics"] .ol-kpi', { hasText: `${(N / 5).toFixed(1)} runs/min` }).waitFor({ timeout: 10_000 });
  const rowCount = await page.locator('[data-testid="row-count"]').innerText();
  const kept = Number(/^\d+ of (\d+)/.exec(rowCount)?.[1]);
  assert.ok(kept >= 1000 && kept <= 2500, `the list keeps the newest runs, not all ${N} (${kept} kept)`);
  assert.match(rowCount, new RegExp(`the newest of ${N}$`), 'and says so');
  // A status filter is the gateway's: the newest 1,000 that match, whether or not the list kept them.
  await page.click('[data-testid="count-SUCCEEDED"]');
  await page.locator('[data-testid="row-count"]:has-text("1000 of 1000")').waitFor({ timeout: 10_000 });
  await page.click('[data-testid="count-FAILED"]');
  await page.locator('[data-testid="row-count"]:has-text("0 of 0")').waitFor({ timeout: 10_000 });
  assert.deepEqual(errors.map(String), []);
});

function wideGraph(layers, width) {
  const steps = [];
  for (let l = 0; l < layers; l++)
    for (let i = 0; i < width; i++) {
      const id = `s${l}_${i}`;
      const dependsOn = l === 0 ? [] : [...new Set([`s${l - 1}_${i}`, `s${l - 1}_${(i + 1) % width}`])];
      steps.push({ id, task: 'demo.echo', ...(dependsOn.length > 0 ? { dependsOn } : {}), input: { l, i } });
    }
  return { name: 'ui-wide-200', description: '200 steps: 20 layers of 10', steps };
}

test('a 200-step graph renders and follows its run live', { skip, timeout: 300_000 }, async (t) => {
  const engine = await startEngine(t);
  const def = wideGraph(20, 10);
  assert.equal(def.steps.length, 200);
  await api(engine.url, `/api/v1/workflows/${def.name}`, { method: 'PUT', body: JSON.stringify(def) });
  const { page, errors } = await launchBrowser(t);
  await page.goto(`${engine.url}/#/runs`);
  await page.locator('[data-testid="connection"][data-state="live"]').waitFor();
  const { runId } = await api(engine.url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow: def.name, input: {} }) });
  const t0 = Date.now();
  await page.evaluate((id) => (window.location.hash = `#/runs/${id}`), runId);
  await page.locator('[data-testid="dag"] .react-flow__node').first().waitFor({ timeout: 60_000 });
  const firstGraph = Date.now() - t0;
  const live = await frameGaps(page, 3000, async () => {});
  console.log(`# 200-step graph: first nodes drawn ${firstGraph} ms after opening; while events stream in: ${fmt(live)}`);
  await page.locator('[data-testid="run-detail"][data-status="SUCCEEDED"]').waitFor({ timeout: 240_000 });
  const total = Date.now() - t0;
  const events = Number(await page.locator('[data-testid="run-detail"]').getAttribute('data-events'));
  console.log(`# run of 200 steps followed to SUCCEEDED in ${total} ms, ${events} events applied`);
  assert.match(await page.locator('.ol-sub').first().innerText(), /200\/200 steps done/);
  const server = await api(engine.url, `/api/v1/runs/${runId}/events?since=0`);
  assert.equal(events, server.items.length);
  // Zoom to fit and interact: the graph stays usable.
  const fit = await frameGaps(page, 1000, async () => {
    await page.locator('.react-flow__controls-fitview').click();
  });
  console.log(`# fit view on 200 nodes: ${fmt(fit)}`);
  assert.deepEqual(errors.map(String), []);
});
