export { createKafkaTransport, KafkaTransport } from './kafka-transport.js';
export { coPartitionedAssigner } from './co-partitioned-assigner.js';
export {
  kafkaTransportDefaults,
  resolveKafkaTransportOptions,
  toClientOptions,
  type KafkaClientBaseOptions,
  type KafkaSaslOptions,
  type KafkaTransportOptions,
  type ResolvedKafkaTransportOptions,
} from './options.js';
export { RECORD_LEGS_CHANNEL, type RecordAt, type RecordLegs } from './record-legs.js';
