/**
 * Browser e2e: the gateway restarts in the middle of a run. The UI shows that it lost the stream,
 * reconnects by itself (backoff, then `since=<last seq>`), and ends with exactly the events the
 * server has: none missing, none doubled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, launchBrowser, missingPrerequisite, startEngine, waitForWorkflow } from './helpers.mjs';

const skip = missingPrerequisite();

test('restart the gateway mid-run: the UI reconnects and ends with exactly the server events', { skip, timeout: 180_000 }, async (t) => {
  const engine = await startEngine(t);
  await waitForWorkflow(engine.url, 'sleepy-chain');
  const { page } = await launchBrowser(t);
  // Counts graph nodes hidden again after they were shown: a live update must not blank a node.
  await page.addInitScript(() => {
    window.__nodesHiddenAgain = 0;
    const shown = new WeakSet();
    new MutationObserver((mutations) => {
      for (const m of mutations) {
        const el = m.target;
        if (!(el instanceof HTMLElement) || !el.classList.contains('react-flow__node')) continue;
        if (el.style.visibility === 'hidden') window.__nodesHiddenAgain += shown.has(el) ? 1 : 0;
        else shown.add(el);
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['style'] });
  });
  await page.goto(`${engine.url}/#/runs`);
  await page.locator('[data-testid="connection"][data-state="live"]').waitFor();
  const { runId } = await api(engine.url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow: 'sleepy-chain', input: { ms: 1500 } }) });
  await page.evaluate((id) => (window.location.hash = `#/runs/${id}`), runId);
  const detail = page.locator('[data-testid="run-detail"]');
  await detail.waitFor();
  // Mid-run: the second step is running.
  await page.locator('[data-testid="step-two"][data-status="RUNNING"]').waitFor({ timeout: 30_000 });
  const seqBefore = Number(await detail.getAttribute('data-last-seq'));
  await page.evaluate(() => {
    window.__noReload = true;
  });

  const states = [];
  const watch = setInterval(() => {
    page
      .locator('[data-testid="run-detail"] [data-testid="connection"]')
      .getAttribute('data-state', { timeout: 1000 })
      .then((s) => states.at(-1) !== s && states.push(s))
      .catch(() => {});
  }, 50);
  t.after(() => clearInterval(watch));

  const restartStarted = Date.now();
  await engine.restart();
  console.log(`# gateway restarted in ${Date.now() - restartStarted} ms (last seq before: ${seqBefore})`);

  await page.locator('[data-testid="run-detail"][data-status="SUCCEEDED"]').waitFor({ timeout: 60_000 });
  await page.locator('[data-testid="run-detail"] [data-testid="connection"][data-state="live"]').waitFor({ timeout: 30_000 });
  await page.locator('.ol-top [data-testid="connection"][data-state="live"]').waitFor({ timeout: 30_000 });
  clearInterval(watch);
  console.log(`# connection states seen: ${states.join(' → ')}`);
  assert.ok(states.some((s) => s === 'reconnecting' || s === 'offline'), `the indicator showed the drop (${states.join(', ')})`);
  assert.equal(states.at(-1), 'live');

  const server = (await api(engine.url, `/api/v1/runs/${runId}/events?since=0`)).items;
  const seqs = server.map((e) => e.seq);
  assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'the server numbers events 1..N');
  // The UI appends only the next seq, so (count, last seq) equal to the server's means the same list.
  assert.equal(Number(await detail.getAttribute('data-events')), server.length, 'no event missing or doubled');
  assert.equal(Number(await detail.getAttribute('data-last-seq')), server.at(-1).seq);
  assert.ok(server.at(-1).seq > seqBefore, 'events arrived after the restart');
  const logLines = server.filter((e) => e.type === 'StepLog').length;
  assert.equal(Number(await page.locator('[data-testid="log-tail"]').getAttribute('data-lines')), logLines);
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the page was never reloaded');
  assert.equal(await page.evaluate(() => window.__nodesHiddenAgain), 0, 'no graph node was hidden again by a live update');
});
