import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { z } from 'zod';
import { integerOption, objectOption, parseOptions } from '@orchestrator-lite/core';
import { retentionOption } from '../retention.js';

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

const d = kafkaTransportDefaults;
/** A count or a duration in ms, at least 1, with its default. */
const positive = (fallback: number) => integerOption(1).default(fallback);

const kafkaOptionsSchema = z
  .object({
    brokers: z
      .array(z.string().regex(/^[^:\s]+:\d{1,5}$/, { error: (issue) => `must be "host:port", got ${JSON.stringify(issue.input)}` }), { error: 'must be an array of "host:port"' })
      .min(1, { error: 'must name at least one broker, as "host:port"' }),
    clientId: z.string().min(1, { error: 'must not be empty' }).default(d.clientId),
    sasl: z
      .object({
        mechanism: z.enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], { error: 'must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512' }),
        username: z.string({ error: 'must be a string' }),
        password: z.string({ error: 'must be a string' }),
      })
      .optional(),
    tls: z.union([z.boolean(), objectOption<TlsConnectionOptions>('must be TLS options')], { error: 'must be true, false or TLS options' }).optional(),
    sessionTimeoutMs: positive(d.sessionTimeoutMs),
    heartbeatIntervalMs: positive(d.heartbeatIntervalMs),
    rebalanceTimeoutMs: positive(d.rebalanceTimeoutMs),
    replicationFactor: integerOption(1).optional(),
    minInsyncReplicas: integerOption(1).optional(),
    produceTimeoutMs: positive(d.produceTimeoutMs),
    requestTimeoutMs: positive(d.requestTimeoutMs),
    connectTimeoutMs: positive(d.connectTimeoutMs),
    fetchMaxWaitMs: positive(d.fetchMaxWaitMs),
    fetchMaxBytes: positive(d.fetchMaxBytes),
    commitIntervalMs: positive(d.commitIntervalMs),
    compactedSegmentMs: positive(d.compactedSegmentMs),
    compactedMinCleanableDirtyRatio: z
      .number({ error: (issue) => `must be a number in (0, 1], got ${String(issue.input)}` })
      .gt(0)
      .max(1)
      .default(d.compactedMinCleanableDirtyRatio),
    retentionMs: retentionOption().optional(),
  })
  .superRefine(
    (options, ctx) => {
      // A field that failed its own check may hold what was given, or nothing.
      const session = options.sessionTimeoutMs ?? d.sessionTimeoutMs;
      const heartbeat = options.heartbeatIntervalMs ?? d.heartbeatIntervalMs;
      if (heartbeat >= session) ctx.addIssue({ code: 'custom', path: ['heartbeatIntervalMs'], message: `must be lower than sessionTimeoutMs (${heartbeat} against ${session})` });
    },
    // Checked even when a field failed its own check: every invalid field is listed at once.
    { when: () => true },
  );

/** Applies defaults and validates; throws one ORCH_CONFIG error listing every invalid field. */
export function resolveKafkaTransportOptions(options: KafkaTransportOptions): ResolvedKafkaTransportOptions {
  const o = parseOptions('Kafka transport', kafkaOptionsSchema, options);
  return Object.freeze({
    ...o,
    brokers: Object.freeze(o.brokers),
    sasl: o.sasl,
    tls: o.tls === true ? {} : o.tls === false || o.tls === undefined ? undefined : o.tls,
    replicationFactor: o.replicationFactor,
    minInsyncReplicas: o.minInsyncReplicas,
    retentionMs: o.retentionMs,
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
