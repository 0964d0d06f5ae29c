/**
 * Browser e2e: the Dead letters page against the real engine on the shared Kafka broker (its own
 * topic prefix). Two records the orchestrator cannot decode are produced to the commands topic;
 * it parks them on the dead-letter topic. The page shows each with its reason, origin and value
 * (pretty JSON where it decodes), and redrives the selected one, then all with a given reason,
 * showing the counts. A redriven record that still cannot be decoded comes back as a new letter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createKafkaTransport } from '@orchestrator-lite/transport';
import { api, launchBrowser, missingPrerequisite, startEngine } from './helpers.mjs';

const brokers = process.env.KAFKA_BROKERS;
// scripts/test.mjs provides a broker to every *kafka* suite, or says out loud (ORCH_SKIP_KAFKA=1) that it skips.
const skip = missingPrerequisite() ?? (brokers ? undefined : 'KAFKA_BROKERS is not set');

async function waitForLetters(base, count, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { items } = await api(base, '/api/v1/dlq?limit=100');
    if (items.length >= count) return items;
    if (Date.now() > deadline) throw new Error(`${items.length} dead letters after ${timeoutMs} ms, expected ${count}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('dead letters page: reason, origin and decoded value shown; redrive selected and by reason, with the counts', { skip, timeout: 180_000 }, async (t) => {
  const prefix = `uiops-${randomUUID().slice(0, 8)}.`;
  const engine = await startEngine(t, { env: { KAFKA_BROKERS: brokers, ORCH_TOPIC_PREFIX: prefix, ORCH_PARTITIONS: '2' } });
  await api(engine.url, '/api/v1/dlq');

  const producer = createKafkaTransport({ brokers: brokers.split(','), clientId: `ui-dlq-test-${prefix}` });
  t.after(() => producer.close());
  await producer.produce([
    { topic: `${prefix}commands`, key: 'run-from-the-future', value: Buffer.from(JSON.stringify({ v: 9, type: 'StartRun', runId: 'run-from-the-future' })) },
    { topic: `${prefix}commands`, key: 'run-garbled', value: Buffer.from('StartRun, but not JSON') },
  ]);
  const letters = await waitForLetters(engine.url, 2);
  const future = letters.find((l) => l.key === 'run-from-the-future');
  const garbled = letters.find((l) => l.key === 'run-garbled');
  assert.ok(future && garbled, JSON.stringify(letters));
  assert.match(future.reason, /schema version/);
  assert.match(garbled.reason, /not valid JSON/);

  const { page, errors } = await launchBrowser(t);
  await page.goto(`${engine.url}/#/runs`);
  await page.click('[data-testid="nav-dlq"]');
  const row = (id) => page.locator(`[data-testid="dlq-row"][data-id="${id}"]`);
  await row(future.id).waitFor();
  const futureText = await row(future.id).innerText();
  for (const expected of [future.reason, `${prefix}commands`, `partition ${future.partition} · offset ${future.offset}`, 'run-from-the-future', 'JSON ·']) {
    assert.ok(futureText.includes(expected), `the row shows ${expected}: ${futureText}`);
  }
  assert.equal(await row(future.id).locator('[data-testid="dlq-value"]').innerText(), JSON.stringify({ v: 9, type: 'StartRun', runId: 'run-from-the-future' }, null, 2));
  assert.match(await row(garbled.id).innerText(), /text \(not JSON\)/);
  assert.equal(await row(garbled.id).locator('[data-testid="dlq-value"]').innerText(), 'StartRun, but not JSON');

  // Redrive the selected letter: the count is shown, and the record, still undecodable, comes back.
  assert.equal(await page.isDisabled('[data-testid="dlq-redrive-selected"]'), true);
  await row(future.id).locator('[data-testid="dlq-select"]').check();
  await page.click('[data-testid="dlq-redrive-selected"]');
  assert.equal(await page.locator('[data-testid="dlq-redrive-result"]').innerText(), '1 dead letter redriven (1 selected)');
  const after = await waitForLetters(engine.url, 3);
  const back = after.find((l) => l.key === 'run-from-the-future' && l.id !== future.id);
  assert.ok(back, 'the redriven record was consumed again and parked again');
  assert.ok(back.offset > future.offset, 'it came back from a later offset of the commands topic');

  // Redrive every letter whose reason contains a text.
  await page.fill('[data-testid="dlq-reason"]', 'not valid JSON');
  await page.click('[data-testid="dlq-redrive-reason"]');
  assert.equal(await page.locator('[data-testid="dlq-redrive-result"]').innerText(), '1 dead letter redriven (reason contains “not valid JSON”)');
  await waitForLetters(engine.url, 4);
  await page.click('[data-testid="dlq-refresh"]');
  await page.locator('[data-testid="dlq-row"]').nth(3).waitFor();
  assert.equal(await page.locator('[data-testid="dlq-row"]').count(), 4);
  assert.deepEqual(errors.map(String), []);
});
