import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createEmbeddedTransport, createKafkaTransport } from '@orchestrator-lite/transport';
import type { KafkaTransportOptions, Transport } from '@orchestrator-lite/transport';
import type { Config } from './config.js';

const retentionOf = (config: Config): { retentionMs?: number } => (config.busRetention === undefined ? {} : { retentionMs: config.busRetention });

/** The Kafka client's options from the config, for `brokers` (`KAFKA_BROKERS`). */
export function kafkaOptions(config: Config, brokers: string[]): KafkaTransportOptions {
  return {
    brokers,
    clientId: config.kafkaClientId,
    ...(config.kafkaSaslMechanism && config.kafkaSaslUsername && config.kafkaSaslPassword
      ? { sasl: { mechanism: config.kafkaSaslMechanism, username: config.kafkaSaslUsername, password: config.kafkaSaslPassword } }
      : {}),
    ...(config.kafkaTls ? { tls: true } : {}),
    ...retentionOf(config),
  };
}

/** Kafka when `KAFKA_BROKERS` is set; otherwise the embedded, durable SQLite log under the data dir. */
export function createTransport(config: Config): { transport: Transport; describe: string } {
  if (config.kafkaBrokers) {
    return { transport: createKafkaTransport(kafkaOptions(config, config.kafkaBrokers)), describe: `kafka ${config.kafkaBrokers.join(',')}` };
  }
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  return { transport: createEmbeddedTransport({ dataDir, ...retentionOf(config) }), describe: `embedded, data in ${dataDir}` };
}
