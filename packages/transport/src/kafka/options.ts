import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { isRetentionMs } from '../retention.js';

/** SASL credentials, passed through to the client. */
export interface KafkaSaslOptions {
  mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  username: string;
  password: string;
}

export interface KafkaTransportOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Client id reported to the brokers. @default 'orchestrator-lite' */
  clientId?: string;
  /** SASL authentication. @default undefined (none) */
  sasl?: KafkaSaslOptions;
  /** TLS: `true` for the system defaults, or Node's TLS options. @default false */
  tls?: boolean | TlsConnectionOptions;
  /**
   * Consumer group session timeout. A member that dies without leaving keeps its partitions this
   * long, so it bounds failover. @default 6000
   */
  sessionTimeoutMs?: number;
  /** Consumer group heartbeat interval; also how fast a member notices a rebalance. @default 1000 */
  heartbeatIntervalMs?: number;
  /** How long the group waits for members to rejoin during a rebalance. @default 10000 */
  rebalanceTimeoutMs?: number;
  /**
   * Replication factor of the topics `ensureTopics` creates.
   * @default min(3, the number of brokers in the cluster)
   */
  replicationFactor?: number;
  /**
   * `min.insync.replicas` of the topics `ensureTopics` creates; with acks=all a write then
   * survives the loss of all but this many replicas.
   * @default 2 when the replication factor is 3 or more, else 1
   */
  minInsyncReplicas?: number;
  /**
   * Bound on one `produce` call. The idempotent producer retries without end against a dead
   * broker, so the transport gives up after this long (the client is then recreated). @default 30000
   */
  produceTimeoutMs?: number;
  /** Request timeout of the client. @default 10000 */
  requestTimeoutMs?: number;
  /** Connect timeout of the client. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * Longest time a fetch waits at the broker when there is nothing new. A fetch returns as soon as
   * a record arrives, on a connection of its own, so this is not on the path of a record: it is
   * the idle poll (an idle member costs one fetch per interval). A partition assigned while a
   * fetch waits is read at once by an express fetch on a second connection. @default 250
   */
  fetchMaxWaitMs?: number;
  /** Largest fetch response, in bytes. @default 8388608 */
  fetchMaxBytes?: number;
  /**
   * Least time between two offset commit requests of a group member. Commits are off the path of
   * a record: a wider interval spares the client and the broker a request per batch, and after a
   * crash at most this long of inputs is delivered again (which consumers tolerate). @default 100
   */
  commitIntervalMs?: number;
  /** Compacted topics: `segment.ms`, small so that compaction happens soon. @default 10000 */
  compactedSegmentMs?: number;
  /** Compacted topics: `min.cleanable.dirty.ratio`. @default 0.01 */
  compactedMinCleanableDirtyRatio?: number;
  /**
   * The other topics, when this transport creates them: `retention.ms`, how long their records
   * are kept (`-1`: forever). Unset: the broker's default (`log.retention.*`, 7 days unless set).
   */
  retentionMs?: number;
}

export interface ResolvedKafkaTransportOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly sasl: KafkaSaslOptions | undefined;
  readonly tls: TlsConnectionOptions | undefined;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly replicationFactor: number | undefined;
  readonly minInsyncReplicas: number | undefined;
  readonly produceTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly fetchMaxWaitMs: number;
  readonly fetchMaxBytes: number;
  readonly commitIntervalMs: number;
  readonly compactedSegmentMs: number;
  readonly compactedMinCleanableDirtyRatio: number;
  readonly retentionMs: number | undefined;
}

export const kafkaTransportDefaults = Object.freeze({
  clientId: 'orchestrator-lite',
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 1000,
  rebalanceTimeoutMs: 10_000,
  produceTimeoutMs: 30_000,
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 5000,
  fetchMaxWaitMs: 250,
  fetchMaxBytes: 8 * 1024 * 1024,
  commitIntervalMs: 100,
  compactedSegmentMs: 10_000,
  compactedMinCleanableDirtyRatio: 0.01,
});

const numericFields = [
  'sessionTimeoutMs',
  'heartbeatIntervalMs',
  'rebalanceTimeoutMs',
  'replicationFactor',
  'minInsyncReplicas',
  'produceTimeoutMs',
  'requestTimeoutMs',
  'connectTimeoutMs',
  'fetchMaxWaitMs',
  'fetchMaxBytes',
  'commitIntervalMs',
  'compactedSegmentMs',
] as const;

const saslMechanisms = new Set(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);

/** Applies defaults and validates; throws one error listing every invalid field. */
export function resolveKafkaTransportOptions(options: KafkaTransportOptions): ResolvedKafkaTransportOptions {
  const problems: string[] = [];
  if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
    problems.push('brokers: expected a non-empty array of "host:port"');
  } else {
    options.brokers.forEach((b, i) => {
      if (typeof b !== 'string' || !/^[^:\s]+:\d{1,5}$/.test(b)) problems.push(`brokers[${i}]: expected "host:port", got ${JSON.stringify(b)}`);
    });
  }
  if (options.clientId !== undefined && (typeof options.clientId !== 'string' || options.clientId.length === 0)) {
    problems.push('clientId: expected a non-empty string');
  }
  for (const field of numericFields) {
    const value = options[field];
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)) {
      problems.push(`${field}: expected a positive integer, got ${JSON.stringify(value)}`);
    }
  }
  const ratio = options.compactedMinCleanableDirtyRatio;
  if (ratio !== undefined && (typeof ratio !== 'number' || !(ratio > 0 && ratio <= 1))) {
    problems.push(`compactedMinCleanableDirtyRatio: expected a number in (0, 1], got ${JSON.stringify(ratio)}`);
  }
  const retention = options.retentionMs;
  if (retention !== undefined && !isRetentionMs(retention)) {
    problems.push(`retentionMs: expected a positive integer, or -1 to keep records forever, got ${JSON.stringify(retention)}`);
  }
  if (options.sasl !== undefined) {
    if (!saslMechanisms.has(options.sasl.mechanism)) problems.push(`sasl.mechanism: expected one of ${[...saslMechanisms].join(', ')}`);
    if (typeof options.sasl.username !== 'string') problems.push('sasl.username: expected a string');
    if (typeof options.sasl.password !== 'string') problems.push('sasl.password: expected a string');
  }
  const session = options.sessionTimeoutMs ?? kafkaTransportDefaults.sessionTimeoutMs;
  const heartbeat = options.heartbeatIntervalMs ?? kafkaTransportDefaults.heartbeatIntervalMs;
  if (heartbeat >= session) problems.push('heartbeatIntervalMs: must be lower than sessionTimeoutMs');
  if (problems.length > 0) throw new TypeError(`Invalid Kafka transport options:\n  ${problems.join('\n  ')}`);

  const d = kafkaTransportDefaults;
  return Object.freeze({
    brokers: Object.freeze([...options.brokers]),
    clientId: options.clientId ?? d.clientId,
    sasl: options.sasl ? { ...options.sasl } : undefined,
    tls: options.tls === true ? {} : options.tls === false || options.tls === undefined ? undefined : options.tls,
    sessionTimeoutMs: session,
    heartbeatIntervalMs: heartbeat,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? d.rebalanceTimeoutMs,
    replicationFactor: options.replicationFactor,
    minInsyncReplicas: options.minInsyncReplicas,
    produceTimeoutMs: options.produceTimeoutMs ?? d.produceTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs ?? d.requestTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs ?? d.connectTimeoutMs,
    fetchMaxWaitMs: options.fetchMaxWaitMs ?? d.fetchMaxWaitMs,
    fetchMaxBytes: options.fetchMaxBytes ?? d.fetchMaxBytes,
    commitIntervalMs: options.commitIntervalMs ?? d.commitIntervalMs,
    compactedSegmentMs: options.compactedSegmentMs ?? d.compactedSegmentMs,
    compactedMinCleanableDirtyRatio: ratio ?? d.compactedMinCleanableDirtyRatio,
    retentionMs: retention,
  });
}

/** The connection options every client of the transport shares (base options of @platformatic/kafka). */
export interface KafkaClientBaseOptions {
  clientId: string;
  bootstrapBrokers: string[];
  connectTimeout: number;
  requestTimeout: number;
  timeout: number;
  retries: number;
  retryDelay: number;
  sasl?: KafkaSaslOptions;
  tls?: TlsConnectionOptions;
}

/** Maps transport options onto the client's options; `suffix` tells the clients apart in broker logs. */
export function toClientOptions(options: ResolvedKafkaTransportOptions, suffix: string): KafkaClientBaseOptions {
  const base: KafkaClientBaseOptions = {
    clientId: `${options.clientId}-${suffix}`,
    bootstrapBrokers: [...options.brokers],
    connectTimeout: options.connectTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    timeout: options.requestTimeoutMs,
    retries: 3,
    retryDelay: 500,
  };
  if (options.sasl) base.sasl = { ...options.sasl };
  if (options.tls) base.tls = options.tls;
  return base;
}
