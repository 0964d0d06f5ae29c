import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { OrchError } from '@orchestrator-lite/core';
import { kafkaTransportDefaults, resolveKafkaTransportOptions, toClientOptions } from '../../src/kafka/options.js';

void test('defaults favour fast failover', () => {
  const o = resolveKafkaTransportOptions({ brokers: ['127.0.0.1:9092'] });
  assert.equal(o.sessionTimeoutMs, 6000);
  assert.equal(o.heartbeatIntervalMs, 1000);
  assert.equal(o.replicationFactor, undefined, "min(3, brokers), decided when a topic is created");
  assert.equal(o.clientId, kafkaTransportDefaults.clientId);
  assert.equal(o.tls, undefined);
  assert.ok(Object.isFrozen(o));
});

void test('invalid options are all listed, each naming its field', () => {
  assert.throws(
    () => resolveKafkaTransportOptions({ brokers: ['nope'], sessionTimeoutMs: -1, replicationFactor: 1.5, sasl: { mechanism: 'MD5' as 'PLAIN', username: 'u', password: 'p' }, heartbeatIntervalMs: 9000 }),
    (error: unknown) => {
      assert.ok(error instanceof OrchError);
      assert.equal(error.code, 'ORCH_CONFIG');
      // The check of two options together is listed beside the fields that failed their own.
      const fields = (error.details as { issues: { field: string }[] }).issues.map((issue) => issue.field);
      assert.deepEqual(fields.sort(), ['brokers[0]', 'heartbeatIntervalMs', 'replicationFactor', 'sasl.mechanism', 'sessionTimeoutMs']);
      return /brokers\[0\] must be "host:port", got "nope"/.test(error.message);
    },
  );
  assert.throws(() => resolveKafkaTransportOptions({ brokers: [] }), /invalid Kafka transport options: brokers must name at least one broker/);
  assert.throws(() => resolveKafkaTransportOptions({ brokers: ['h:1'], heartbeatIntervalMs: 7000 }), /heartbeatIntervalMs must be lower than sessionTimeoutMs/);
});

void test('SASL and TLS options pass through to the client options', () => {
  const ca = '-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----';
  const o = resolveKafkaTransportOptions({
    brokers: ['broker-1:9093', 'broker-2:9093'],
    clientId: 'orch',
    sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 's3cret' },
    tls: { ca, servername: 'kafka.internal' },
  });
  const client = toClientOptions(o, 'producer');
  assert.deepEqual(client.bootstrapBrokers, ['broker-1:9093', 'broker-2:9093']);
  assert.equal(client.clientId, 'orch-producer');
  assert.deepEqual(client.sasl, { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 's3cret' });
  assert.deepEqual(client.tls, { ca, servername: 'kafka.internal' });

  const plain = toClientOptions(resolveKafkaTransportOptions({ brokers: ['h:1'], tls: true }), 'admin');
  assert.deepEqual(plain.tls, {});
  assert.equal(plain.sasl, undefined);
  assert.equal(toClientOptions(resolveKafkaTransportOptions({ brokers: ['h:1'], tls: false }), 'admin').tls, undefined);
});
