#!/usr/bin/env node
/**
 * Takes the README screenshots (docs/screenshots/*.png) with Debian's Chromium against the real
 * engine: it starts `orch start` on a free 127.0.0.1 port with a temporary data directory (or uses
 * ORCH_GATEWAY_URL), starts a mix of runs, and captures the run list, a run's graph, its timeline,
 * the workflows view and the trigger form.
 *   npm run screenshots -w packages/ui
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { api, launchBrowser, REPO, startEngine, waitForWorkflow } from '../test/e2e/helpers.mjs';

const OUT = join(REPO, 'docs/screenshots');
const cleanups = [];
const ctx = { after: (fn) => cleanups.push(fn) };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const PIPELINE = {
  name: 'etl-pipeline',
  description: 'Extract, three transforms in parallel (one flaky), load, then notify.',
  steps: [
    { id: 'extract', task: 'demo.sleep', input: { ms: 1200, ticks: 6 } },
    { id: 'clean', task: 'demo.sleep', dependsOn: ['extract'], input: { ms: 2500, ticks: 10 } },
    {
      id: 'enrich',
      task: 'demo.flaky',
      dependsOn: ['extract'],
      input: { failTimes: 2 },
      retry: { maxAttempts: 5, initialIntervalMs: 1500, backoffCoefficient: 2, jitter: 'equal' },
    },
    { id: 'validate', task: 'demo.sleep', dependsOn: ['extract'], input: { ms: 9000, ticks: 20 } },
    { id: 'load', task: 'demo.sleep', dependsOn: ['clean', 'enrich', 'validate'], input: { ms: 1500, ticks: 5 } },
    { id: 'index', task: 'demo.echo', dependsOn: ['load'], input: { table: 'events' } },
    { id: 'notify', task: 'demo.echo', dependsOn: ['load'], input: { channel: '#data' } },
  ],
};

async function main() {
  mkdirSync(OUT, { recursive: true });
  const url = process.env.ORCH_GATEWAY_URL ?? (await startEngine(ctx)).url;
  await waitForWorkflow(url, 'diamond');
  await api(url, `/api/v1/workflows/${PIPELINE.name}`, { method: 'PUT', body: JSON.stringify(PIPELINE) });
  const start = (workflow, input = {}) => api(url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow, input }) });

  // A history: finished, failed and long-running runs, spread over the last minute.
  for (let i = 0; i < 6; i++) {
    await start('diamond', { value: i });
    await start('fan-out', { n: i });
    if (i % 2 === 0) await start('fail-fast', {});
    if (i % 3 === 0) await start('always-fails', {});
    await sleep(400);
  }
  await start('sleepy-chain', { ms: 20_000 });
  await start('sleepy-chain', { ms: 12_000 });
  await sleep(2500);
  const { runId } = await start(PIPELINE.name, { date: '2026-01-01' });

  const { page } = await launchBrowser(ctx, { width: 1440, height: 900 });
  await page.goto(`${url}/#/runs`);
  await page.locator('[data-testid="run-row"]').first().waitFor();
  await sleep(1500);
  await page.screenshot({ path: join(OUT, 'runs-list.png') });

  await page.goto(`${url}/#/runs/${runId}`);
  await page.locator('[data-testid="step-enrich"][data-status="RETRY_WAIT"]').waitFor({ timeout: 30_000 }).catch(() => {});
  await sleep(600);
  await page.screenshot({ path: join(OUT, 'run-graph.png') });
  await page.locator('[data-testid="run-detail"][data-status="SUCCEEDED"]').waitFor({ timeout: 60_000 });
  await sleep(500);
  await page.setViewportSize({ width: 1440, height: 1300 });
  await page.screenshot({ path: join(OUT, 'run-finished.png'), fullPage: true });
  await page.locator('[data-testid="timeline"]').locator('xpath=..').screenshot({ path: join(OUT, 'timeline.png') });
  await page.setViewportSize({ width: 1440, height: 900 });

  await page.goto(`${url}/#/workflows/${PIPELINE.name}`);
  await page.locator('[data-testid="dag"] .react-flow__node').first().waitFor();
  await sleep(500);
  await page.screenshot({ path: join(OUT, 'workflows.png') });

  await page.goto(`${url}/#/new/diamond`);
  await page.locator('[data-testid="trigger-form"]').waitFor();
  await page.fill('[data-testid="trigger-input"]', '{\n  "value": "hello",\n  "retries": [1, 2\n}');
  await sleep(400);
  await page.screenshot({ path: join(OUT, 'trigger-form.png') });
  console.log(`screenshots written to ${OUT}`);
}

try {
  await main();
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
