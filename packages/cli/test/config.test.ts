import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, ENV, loadConfig } from '../src/config.js';

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
