#!/usr/bin/env node
/**
 * Takes the screenshots of the operations pages (docs/screenshots/{schedules,dead-letters,
 * rerun-form,run-compare}.png) with Debian's Chromium against the real engine on Kafka
 * (KAFKA_BROKERS, a fresh topic prefix): a few schedules with their firings, dead letters the
 * orchestrator parked, and a failed run rerun from its failed step with an edited input.
 *   KAFKA_BROKERS=127.0.0.1:9092 npm run screenshots:ops -w packages/ui
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createKafkaTransport } from '@orchestrator-lite/transport';
import { api, launchBrowser, REPO, startEngine, waitForWorkflow } from '../test/e2e/helpers.mjs';

const OUT = join(REPO, 'docs/screenshots');
const cleanups = [];
const ctx = { after: (fn) => cleanups.push(fn) };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const CHECKED = {
  name: 'order-check',
  description: 'Prepare an order, check it (fails while failTimes is above 0), then confirm it.',
  steps: [
    { id: 'prepare', task: 'demo.echo', input: { order: '${input.order}' } },
    { id: 'price', task: 'demo.echo', dependsOn: ['prepare'], input: { order: '${steps.prepare.output.order}', total: 42 } },
    { id: 'check', task: 'demo.flaky', dependsOn: ['prepare'], input: { failTimes: '${input.failTimes}', order: '${steps.prepare.output.order}' }, retry: { maxAttempts: 1 } },
    { id: 'confirm', task: 'demo.echo', dependsOn: ['check', 'price'], input: { checked: '${steps.check.output}', price: '${steps.price.output.total}' } },
  ],
  output: '${steps.confirm.output}',
};

async function until(what, fn, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(250);
  }
}

async function main() {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error('set KAFKA_BROKERS: the dead letters come from the orchestrator on Kafka');
  mkdirSync(OUT, { recursive: true });
  const prefix = `shots-${randomUUID().slice(0, 8)}.`;
  const { url } = await startEngine(ctx, { env: { KAFKA_BROKERS: brokers, ORCH_TOPIC_PREFIX: prefix, ORCH_PARTITIONS: '2' } });
  await waitForWorkflow(url, 'diamond');
  await api(url, `/api/v1/workflows/${CHECKED.name}`, { method: 'PUT', body: JSON.stringify(CHECKED) });
  const put = (name, body) => api(url, `/api/v1/schedules/${name}`, { method: 'PUT', body: JSON.stringify(body) });

  await put('nightly-report', { workflow: 'diamond', cron: '0 2 * * *', timezone: 'Europe/Paris', input: { value: 'report' } });
  await put('inventory-sync', { workflow: 'fan-out', cron: '*/10 * * * * *', overlap: 'skip' });
  await put('weekly-cleanup', { workflow: 'always-fails', cron: '0 3 * * 0', timezone: 'America/New_York', catchup: 'all', paused: true });
  await put('month-end-close', { workflow: 'fail-fast', cron: '30 18 28-31 * *', timezone: 'Asia/Tokyo', overlap: 'cancelPrevious', catchup: 'last' });
  await api(url, '/api/v1/schedules/nightly-report/trigger', { method: 'POST', body: '{}' });
  await api(url, '/api/v1/schedules/month-end-close/trigger', { method: 'POST', body: '{}' });

  // Dead letters: records the orchestrator cannot decode, produced where commands go.
  const producer = createKafkaTransport({ brokers: brokers.split(','), clientId: `shots-${prefix}` });
  cleanups.push(() => producer.close());
  await producer.produce([
    { topic: `${prefix}commands`, key: 'run-7f3a', value: Buffer.from(JSON.stringify({ v: 9, type: 'StartRun', runId: 'run-7f3a', workflow: 'billing', input: { invoice: 1042, amount: 99.5 } })) },
    { topic: `${prefix}commands`, key: 'run-b21c', value: Buffer.from('StartRun billing 1043') },
    { topic: `${prefix}commands`, key: 'run-c9d0', value: Buffer.from(JSON.stringify({ v: 1, type: 'CancelRun', runId: 'run-c9d0' })) },
    { topic: `${prefix}results`, key: 'run-e51f', value: Buffer.from(JSON.stringify({ v: 1, type: 'TaskCompleted', runId: 'run-0000', stepId: 'a', attempt: 1, workerId: 'w1', at: 1 })) },
  ]);
  await until('four dead letters', async () => (await api(url, '/api/v1/dlq')).items.length >= 4);

  // A failed run, rerun from its failed step with a new input.
  const { runId } = await api(url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow: CHECKED.name, input: { order: 'A-1042', failTimes: 3 } }) });
  await until('the run fails', async () => (await api(url, `/api/v1/runs/${runId}`)).status === 'FAILED');
  await sleep(21_000); // the 10-second schedule fires a few times

  const { page } = await launchBrowser(ctx, { width: 1440, height: 900 });
  await page.goto(`${url}/#/schedules`);
  await page.locator('[data-testid="schedule-last-run"]').first().waitFor();
  await sleep(800);
  await page.screenshot({ path: join(OUT, 'schedules.png') });

  await page.goto(`${url}/#/dlq`);
  await page.locator('[data-testid="dlq-row"]').nth(3).waitFor();
  await page.locator('[data-testid="dlq-select"]').first().check();
  await page.fill('[data-testid="dlq-reason"]', 'not valid JSON');
  await sleep(400);
  await page.screenshot({ path: join(OUT, 'dead-letters.png') });

  await page.goto(`${url}/#/runs/${runId}`);
  await page.locator('[data-testid="run-detail"][data-status="FAILED"]').waitFor();
  await page.click('[data-testid="step-check"]');
  await page.click('[data-testid="rerun-from-here"]');
  await page.fill('[data-testid="rerun-input"]', '{\n  "order": "A-1042",\n  "failTimes": 0\n}');
  await sleep(500);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.screenshot({ path: join(OUT, 'rerun-form.png') });
  await page.click('[data-testid="rerun-submit"]');
  await page.locator(`[data-testid="run-detail"]:not([data-run-id="${runId}"])[data-status="SUCCEEDED"]`).waitFor({ timeout: 60_000 });
  await page.click('[data-testid="compare-link"]');
  await page.locator('[data-testid="compare-table"]').waitFor();
  await page.locator('[data-testid^="notice-"]').first().waitFor({ state: 'detached', timeout: 10_000 });
  await page.screenshot({ path: join(OUT, 'run-compare.png'), fullPage: true });
  console.log(`screenshots written to ${OUT}`);
}

try {
  await main();
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
