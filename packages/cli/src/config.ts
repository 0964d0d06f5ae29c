import { z } from 'zod';
import { resolveGatewayUrl } from './gateway-address.js';
import { PAYLOAD_DEFAULTS, parseDuration } from '@orchestrator-lite/core';
import { parseApiTokens } from '@orchestrator-lite/gateway';

/** Every environment variable the roles read, in one place. */
export const ENV = {
  port: 'PORT',
  host: 'HOST',
  dataDir: 'ORCH_DATA_DIR',
  readStore: 'ORCH_READ_STORE',
  kafkaBrokers: 'KAFKA_BROKERS',
  kafkaClientId: 'KAFKA_CLIENT_ID',
  kafkaSaslMechanism: 'KAFKA_SASL_MECHANISM',
  kafkaSaslUsername: 'KAFKA_SASL_USERNAME',
  kafkaSaslPassword: 'KAFKA_SASL_PASSWORD',
  kafkaTls: 'KAFKA_TLS',
  topicPrefix: 'ORCH_TOPIC_PREFIX',
  partitions: 'ORCH_PARTITIONS',
  concurrency: 'ORCH_WORKER_CONCURRENCY',
  bodyLimitBytes: 'ORCH_BODY_LIMIT_BYTES',
  uiDir: 'ORCH_UI_DIR',
  gatewayUrl: 'ORCH_GATEWAY_URL',
  apiToken: 'ORCH_API_TOKEN',
  apiTokens: 'ORCH_API_TOKENS',
  metricsToken: 'ORCH_METRICS_TOKEN',
  allowInsecure: 'ORCH_ALLOW_INSECURE',
  corsOrigins: 'ORCH_CORS_ORIGINS',
  allowedHosts: 'ORCH_ALLOWED_HOSTS',
  rateLimit: 'ORCH_RATE_LIMIT',
  maxInputBytes: 'ORCH_MAX_INPUT_BYTES',
  maxPayloadBytes: 'ORCH_MAX_PAYLOAD_BYTES',
  inlinePayloadBytes: 'ORCH_PAYLOAD_INLINE_BYTES',
  wsMaxFrameBytes: 'ORCH_WS_MAX_FRAME_BYTES',
  trustProxy: 'ORCH_TRUST_PROXY',
  runRetention: 'ORCH_RUN_RETENTION',
  busRetention: 'ORCH_BUS_RETENTION',
  snapshotIntervalMs: 'ORCH_SNAPSHOT_INTERVAL_MS',
  logLevel: 'LOG_LEVEL',
} as const;

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const flag = z.enum(['true', 'false', '1', '0']).optional().transform((v) => v === 'true' || v === '1');
/** A duration (`7d`, `12h`, `30m`, or ms) in ms; one that does not parse is an issue that names `field`. */
const durationOf =
  (field: string) =>
  (text: string, ctx: z.RefinementCtx): number => {
    try {
      return parseDuration(text, field);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  };
const list = z
  .string()
  .optional()
  .transform((s) => (s ? s.split(',').map((item) => item.trim()).filter(Boolean) : []));

/** One schema for every role; each role reads the fields it needs. */
export const configSchema = z.object({
  port: intFrom(0, 65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  dataDir: z.string().min(1).default('./.orch-data'),
  /** The gateway's read model: `postgres://…` (shared by gateways) or an SQLite file path. Unset: a file in dataDir. */
  readStore: z.string().min(1).optional(),
  kafkaBrokers: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',').map((b) => b.trim()).filter(Boolean) : undefined))
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each broker must be host:port')).min(1).optional()),
  kafkaClientId: z.string().min(1).default('orchestrator-lite'),
  kafkaSaslMechanism: z.enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']).optional(),
  kafkaSaslUsername: z.string().optional(),
  kafkaSaslPassword: z.string().optional(),
  kafkaTls: flag,
  topicPrefix: z.string().regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only').default('orch.'),
  /** Unset: 6 on Kafka; on the embedded bus, its existing count, else 1 (transport's `defaultPartitions`). */
  partitions: intFrom(1, 1024).optional(),
  concurrency: intFrom(1, 10_000).default(16),
  bodyLimitBytes: intFrom(1024, 100 * 1024 * 1024).default(1024 * 1024),
  uiDir: z.string().optional(),
  /** Unset: see gateway-address.ts (PORT/HOST, then the address `orch start` announced). */
  gatewayUrl: z.url().optional(),
  /** The bearer token `orch run` and `orch runs` send, when the gateway requires one. */
  apiToken: z.string().min(1).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `name:scope:token,…`; the parser's messages name entries by position and never echo a secret. */
  apiTokens: z
    .string()
    .optional()
    .transform((text, ctx) => {
      try {
        return text ? parseApiTokens(text) : [];
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  metricsToken: z.string().min(16, 'must be at least 16 characters').optional(),
  allowInsecure: flag,
  corsOrigins: list,
  /** Host names the gateway answers to besides its listen address and the loopback names; `*` for any. */
  allowedHosts: list,
  /** Requests per minute per token (per IP without auth); 0 turns it off. Unset: the gateway's default. */
  rateLimit: intFrom(0, 10_000_000).optional(),
  maxInputBytes: intFrom(1, 100 * 1024 * 1024).default(256 * 1024),
  /** Largest run input (413 above) and task output (the attempt fails above). */
  maxPayloadBytes: intFrom(1, 1024 * 1024 * 1024).default(PAYLOAD_DEFAULTS.maxBytes),
  /** Above this a payload is claim-checked on orch.payloads instead of travelling in its message. */
  inlinePayloadBytes: intFrom(1024, 512 * 1024).default(PAYLOAD_DEFAULTS.inlineBytes),
  wsMaxFrameBytes: intFrom(1024, 64 * 1024 * 1024).default(64 * 1024),
  /** How long an ended run stays retryable, and in the gateway's read store, before it is forgotten: `7d`, `12h`, `30m`, or ms. */
  runRetention: z.string().default('7d').transform(durationOf('runRetention')),
  /**
   * How long the bus keeps the records of its topics that are not compacted: `7d`, `12h`, ms, or
   * `forever` (-1). Unset: 7 days on the embedded bus; on Kafka, the broker's default. On Kafka it
   * sets `retention.ms` on the topics the engine creates.
   */
  busRetention: z
    .string()
    .optional()
    .transform((text, ctx) => (text === undefined ? undefined : text.trim() === 'forever' ? -1 : durationOf('busRetention')(text, ctx)))
    .refine((ms) => ms !== 0, 'busRetention: must be longer than 0 (or forever)'),
  /** On Kafka, the least time between two snapshot writes of an orchestrator's partition. Unset: the orchestrator's default. */
  snapshotIntervalMs: intFrom(0, 60_000).optional(),
  /** `true`/`1`, or the proxies' addresses/CIDRs (comma-separated). */
  trustProxy: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === 'false' || v === '0' ? false : v === 'true' || v === '1' ? true : v)),
});

export type Config = Readonly<Omit<z.infer<typeof configSchema>, 'gatewayUrl'> & { gatewayUrl: string }>;
export type ConfigInput = Partial<Record<keyof typeof ENV, string | undefined>>;

/**
 * Flags win over the environment, the environment over defaults. Every invalid field is listed
 * at once, with the flag and variable that set it, and the process stops before it starts anything.
 */
export function loadConfig(flags: ConfigInput, env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string | undefined> = {};
  for (const [field, variable] of Object.entries(ENV)) {
    const fromFlag = flags[field as keyof typeof ENV];
    const value = fromFlag ?? env[variable];
    if (value !== undefined && value !== '') raw[field] = value;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? '');
      const variable = ENV[field as keyof typeof ENV];
      return `  ${field} (${variable ?? 'flag'}): ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  if (parsed.data.kafkaSaslMechanism && (!parsed.data.kafkaSaslUsername || !parsed.data.kafkaSaslPassword)) {
    throw new ConfigError(`invalid configuration:\n  kafkaSaslUsername/kafkaSaslPassword (${ENV.kafkaSaslUsername}/${ENV.kafkaSaslPassword}): required with ${ENV.kafkaSaslMechanism}`);
  }
  const listenGiven = raw.port !== undefined || raw.host !== undefined;
  const gatewayUrl = resolveGatewayUrl({ gatewayUrl: parsed.data.gatewayUrl, listenGiven, host: parsed.data.host, port: parsed.data.port, dataDir: parsed.data.dataDir });
  return Object.freeze({ ...parsed.data, gatewayUrl });
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
