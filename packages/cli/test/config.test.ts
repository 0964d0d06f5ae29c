import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmbeddedTransport } from '@orchestrator-lite/transport';
import { ConfigError, ENV, loadConfig } from '../src/config.js';
import { announceGateway, GATEWAY_FILE } from '../src/gateway-address.js';
import { createTransport } from '../src/transport.js';

test('defaults apply when nothing is set', () => {
  const config = loadConfig({}, {});
  assert.equal(config.port, 8080);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.kafkaBrokers, undefined);
  assert.equal(config.topicPrefix, 'orch.');
  assert.ok(Object.isFrozen(config));
});

test('flags win over the environment, the environment over defaults', () => {
  const config = loadConfig({ port: '9000' }, { PORT: '7000', KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9094', ORCH_PARTITIONS: '12' });
  assert.equal(config.port, 9000);
  assert.deepEqual(config.kafkaBrokers, ['127.0.0.1:9092', '127.0.0.1:9094']);
  assert.equal(config.partitions, 12);
});

test('every invalid field is listed at once, with its variable', () => {
  assert.throws(
    () => loadConfig({}, { PORT: 'eighty', KAFKA_BROKERS: 'no-port-here', ORCH_PARTITIONS: '0', LOG_LEVEL: 'loud' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      for (const name of [ENV.port, ENV.kafkaBrokers, ENV.partitions, ENV.logLevel]) assert.match(error.message, new RegExp(name));
      return true;
    },
  );
});

test('SASL needs its credentials', () => {
  assert.throws(() => loadConfig({}, { KAFKA_SASL_MECHANISM: 'PLAIN' }), /KAFKA_SASL_USERNAME/);
});

test('ORCH_RUN_RETENTION takes a duration with a unit, 7 days by default', () => {
  assert.equal(loadConfig({}, {}).runRetention, 7 * 24 * 3600 * 1000);
  assert.equal(loadConfig({}, { ORCH_RUN_RETENTION: '1h' }).runRetention, 3600 * 1000);
  assert.equal(loadConfig({}, { ORCH_RUN_RETENTION: '90s' }).runRetention, 90_000);
  assert.equal(loadConfig({}, { ORCH_RUN_RETENTION: '2500' }).runRetention, 2500);
  assert.throws(() => loadConfig({}, { ORCH_RUN_RETENTION: 'a week' }), /ORCH_RUN_RETENTION.*duration/);
});

test('ORCH_BUS_RETENTION takes a duration or forever, unset by default (the bus takes its own), and reaches the embedded bus', async (t) => {
  assert.equal(loadConfig({}, {}).busRetention, undefined);
  assert.equal(loadConfig({}, { ORCH_BUS_RETENTION: '12h' }).busRetention, 12 * 3600 * 1000);
  assert.equal(loadConfig({}, { ORCH_BUS_RETENTION: 'forever' }).busRetention, -1);
  assert.throws(() => loadConfig({}, { ORCH_BUS_RETENTION: '0s' }), /ORCH_BUS_RETENTION.*longer than 0/);
  assert.throws(() => loadConfig({}, { ORCH_BUS_RETENTION: 'a week' }), /ORCH_BUS_RETENTION.*duration/);
  // The embedded bus takes it: its records of a plain topic older than the retention go.
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-cli-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const { transport } = createTransport(loadConfig({}, { ORCH_DATA_DIR: dataDir, ORCH_BUS_RETENTION: '50ms' }));
  try {
    await transport.ensureTopics([{ name: 'log', partitions: 1 }]);
    await transport.produce([0, 1, 2].map((i) => ({ topic: 'log', key: `k${i}`, value: Buffer.from('x') })));
    await sleep(100);
    assert.equal(await (transport as EmbeddedTransport).compact(), 2);
  } finally {
    await transport.close();
  }
});

test('ORCH_SNAPSHOT_INTERVAL_MS is whole ms from 0 to a minute, unset by default (the orchestrator then takes its own)', () => {
  assert.equal(loadConfig({}, {}).snapshotIntervalMs, undefined);
  assert.equal(loadConfig({}, { ORCH_SNAPSHOT_INTERVAL_MS: '0' }).snapshotIntervalMs, 0);
  assert.equal(loadConfig({}, { ORCH_SNAPSHOT_INTERVAL_MS: '250' }).snapshotIntervalMs, 250);
  assert.throws(() => loadConfig({}, { ORCH_SNAPSHOT_INTERVAL_MS: '1.5' }), /snapshotIntervalMs \(ORCH_SNAPSHOT_INTERVAL_MS\)/);
  assert.throws(() => loadConfig({}, { ORCH_SNAPSHOT_INTERVAL_MS: '-1' }), /ORCH_SNAPSHOT_INTERVAL_MS/);
});

test('the CLI finds the gateway: ORCH_GATEWAY_URL, else PORT/HOST, else the address orch start announced, else 8080', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-cli-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  assert.equal(loadConfig({}, { ORCH_DATA_DIR: dataDir }).gatewayUrl, 'http://127.0.0.1:8080');
  assert.equal(loadConfig({}, { PORT: '9123', ORCH_DATA_DIR: dataDir }).gatewayUrl, 'http://127.0.0.1:9123');
  assert.equal(loadConfig({ port: '9124' }, { ORCH_DATA_DIR: dataDir }).gatewayUrl, 'http://127.0.0.1:9124');
  assert.equal(loadConfig({}, { PORT: '9125', HOST: '0.0.0.0', ORCH_DATA_DIR: dataDir }).gatewayUrl, 'http://127.0.0.1:9125');
  assert.equal(loadConfig({}, { PORT: '9126', HOST: '::1', ORCH_DATA_DIR: dataDir }).gatewayUrl, 'http://[::1]:9126');
  assert.equal(loadConfig({}, { PORT: '9127', ORCH_GATEWAY_URL: 'http://gw.example:80', ORCH_DATA_DIR: dataDir }).gatewayUrl, 'http://gw.example:80');
  // A running orch start announces itself in its data dir; a dead one is ignored.
  const withdraw = announceGateway(dataDir, 'http://127.0.0.1:9300');
  assert.equal(loadConfig({}, { ORCH_DATA_DIR: dataDir }).gatewayUrl, 'http://127.0.0.1:9300');
  assert.equal(loadConfig({}, { PORT: '9128', ORCH_DATA_DIR: dataDir }).gatewayUrl, 'http://127.0.0.1:9128');
  withdraw();
  assert.equal(loadConfig({}, { ORCH_DATA_DIR: dataDir }).gatewayUrl, 'http://127.0.0.1:8080');
  writeFileSync(join(dataDir, GATEWAY_FILE), JSON.stringify({ url: 'http://127.0.0.1:9301', pid: 2 ** 22 + 12345 }));
  assert.equal(loadConfig({}, { ORCH_DATA_DIR: dataDir }).gatewayUrl, 'http://127.0.0.1:8080');
});
