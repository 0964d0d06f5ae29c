import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createEmbeddedTransport, createKafkaTransport } from '@orchestrator-lite/transport';
import type { Transport } from '@orchestrator-lite/transport';
import type { Config } from './config.js';

/** Kafka when `KAFKA_BROKERS` is set; otherwise the embedded, durable SQLite log under the data dir. */
export function createTransport(config: Config): { transport: Transport; describe: string } {
  const retention = config.busRetention === undefined ? {} : { retentionMs: config.busRetention };
  if (config.kafkaBrokers) {
    const transport = createKafkaTransport({
      brokers: config.kafkaBrokers,
      clientId: config.kafkaClientId,
      ...(config.kafkaSaslMechanism && config.kafkaSaslUsername && config.kafkaSaslPassword
        ? { sasl: { mechanism: config.kafkaSaslMechanism, username: config.kafkaSaslUsername, password: config.kafkaSaslPassword } }
        : {}),
      ...(config.kafkaTls ? { tls: true } : {}),
      ...retention,
    });
    return { transport, describe: `kafka ${config.kafkaBrokers.join(',')}` };
  }
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  return { transport: createEmbeddedTransport({ dataDir, ...retention }), describe: `embedded, data in ${dataDir}` };
}
