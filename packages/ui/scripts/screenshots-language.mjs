#!/usr/bin/env node
/**
 * Takes the README screenshots of the workflow language (docs/screenshots/language-*.png) with
 * Debian's Chromium against the real engine (`orch start`, or ORCH_GATEWAY_URL): an approval run
 * waiting with its Approve button, an order run with a skipped branch, a forEach and a sleep
 * counting down, the forEach opened to its items, and a child run linked to its parent.
 *   npm run screenshots:language -w packages/ui
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { api, launchBrowser, REPO, startEngine, waitForWorkflow } from '../test/e2e/helpers.mjs';

const OUT = join(REPO, 'docs/screenshots');
const cleanups = [];
const ctx = { after: (fn) => cleanups.push(fn) };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  mkdirSync(OUT, { recursive: true });
  const url = process.env.ORCH_GATEWAY_URL ?? (await startEngine(ctx)).url;
  await waitForWorkflow(url, 'order');
  const start = (workflow, input) => api(url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow, input }) });
  const { page } = await launchBrowser(ctx, { width: 1440, height: 900 });

  const approval = await start('approval', { request: 'a new laptop', amount: 1800 });
  await page.goto(`${url}/#/runs/${approval.runId}`);
  await page.locator('[data-testid="step-approve"][data-kind="wait"]').waitFor({ timeout: 30_000 });
  await page.click('[data-testid="approve-approve"]');
  await page.locator('[data-testid="signal-form-approve"]').waitFor();
  await sleep(400);
  await page.screenshot({ path: join(OUT, 'language-approval.png') });

  const order = await start('order', { id: 'o-42', amount: 120, lines: [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }, { sku: 'd' }, { sku: 'e' }] });
  await page.goto(`${url}/#/runs/${order.runId}`);
  await page.locator('[data-testid="step-pick"] [data-testid="item-counts"]').waitFor({ timeout: 30_000 });
  await sleep(1200);
  await page.click('[data-testid="step-pick"]');
  await page.locator('[data-testid="items-pick"]').waitFor();
  await page.screenshot({ path: join(OUT, 'language-items.png') });
  await page.click('[data-testid="step-panel"] .ol-x');
  await page.locator('[data-testid="step-cool-down"] [data-testid="sleep-countdown"]').waitFor({ timeout: 30_000 });
  await sleep(1500);
  await page.screenshot({ path: join(OUT, 'language-order.png') });

  await page.locator('[data-testid="run-detail"][data-status="SUCCEEDED"]').waitFor({ timeout: 60_000 });
  await page.click('[data-testid="step-invoice"] [data-testid="child-link-invoice"] a');
  await page.locator('[data-testid="parent-link"]').waitFor({ timeout: 15_000 });
  await sleep(600);
  await page.screenshot({ path: join(OUT, 'language-child.png') });
  console.log(`screenshots written to ${OUT}`);
}

try {
  await main();
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
