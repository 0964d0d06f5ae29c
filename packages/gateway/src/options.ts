/**
 * The gateway's options, their defaults and the frozen config compiled from them.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Transport, WriteStats } from '@orchestrator-lite/transport';
import { DEFAULT_RUN_RETENTION_MS, DEFAULT_TOPIC_PREFIX, ErrorCode, OrchError, PAYLOAD_DEFAULTS } from '@orchestrator-lite/core';
import { checkApiTokens, isLoopbackHost, MIN_TOKEN_LENGTH } from './tokens.js';
import type { ApiToken } from './tokens.js';
import type { SchedulerOptions } from './schedules/options.js';

/** Metrics that `/metrics` serves besides the gateway's own: a prom-client `Registry`, or another thread's text of one. */
export type MetricsSource = Pick<Registry, 'metrics'>;

/** A role's running totals of its bus writes (a transport's, or a thread's that has its own). */
export interface WriteStatsSource {
  writeStats(): WriteStats | Promise<WriteStats>;
}

export interface GatewayOptions {
  /** The bus. The gateway talks to it only through this interface. */
  transport: Transport;
  /** Prefix of every topic name. @default 'orch.' */
  topicPrefix?: string;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Port to bind; 0 picks any free port. @default 8080 */
  port?: number;
  /** Largest accepted request body, in bytes (POST /runs: see `maxPayloadBytes`); larger ones get 413. @default 1048576 (1 MiB) */
  bodyLimitBytes?: number;
  /** Largest accepted client-to-server WebSocket frame, in bytes. @default 65536 (64 KiB) */
  wsMaxFrameBytes?: number;
  /**
   * Bytes a WebSocket client may leave unread in its send buffer before it is closed with 1013
   * (try again later), so a slow reader cannot grow the server's memory without bound.
   * @default 8388608 (8 MiB)
   */
  wsMaxBufferedBytes?: number;
  /** Folder of the UI build to serve at `/`, with an SPA fallback. @default undefined (no UI) */
  uiDir?: string;
  /** @default a pino logger at level `info` (env `LOG_LEVEL` overrides) */
  logger?: Logger;
  /** Names this gateway's consumer groups, so every gateway instance sees every event. @default `${hostname}-${pid}-${random}` */
  instanceId?: string;
  /** Partition count used when provisioning the co-partitioned topics. @default transport's `defaultPartitions` */
  partitions?: number;
  /**
   * Bearer API tokens. With at least one token, every `/api/v1` route and the WebSocket need
   * `Authorization: Bearer <token>` (the WebSocket also takes `?access_token=`); `read` tokens
   * may only GET, `write` tokens may do everything. Without tokens auth is off, which is allowed
   * only on a loopback `host` unless `allowInsecure` is set.
   * @default undefined (auth off)
   */
  auth?: { tokens: readonly ApiToken[] };
  /** When set, `/metrics` needs `Authorization: Bearer <metricsToken>`. @default undefined (open) */
  metricsToken?: string;
  /**
   * Lets the gateway listen on a non-loopback `host` without API tokens. It then logs a loud
   * warning at startup. @default false
   */
  allowInsecure?: boolean;
  /**
   * Origins (`https://portal.example.com`, or `*`) that get CORS headers, so a UI served from
   * another origin can call the API. @default [] (same-origin only: no CORS headers)
   */
  corsOrigins?: readonly string[];
  /**
   * Host names (the `Host` header, without its port) the gateway answers to, besides its listen
   * address, `localhost`, `127.0.0.1` and `[::1]`; any other is refused with 403 (DNS rebinding).
   * `*` turns the check off. On a wildcard listen address any IP literal is accepted too.
   * @default [] (the listen address and the loopback names only)
   */
  allowedHosts?: readonly string[];
  /**
   * Requests per minute allowed per token (per client IP when auth is off); 0 turns the limit
   * off. `/healthz` and `/readyz` are never limited.
   * @default 1200, or 0 (off) when auth is off and `host` is loopback (a local developer)
   */
  rateLimitPerMinute?: number;
  /**
   * Largest serialized (JSON) value that travels inline in a command: a schedule's input, a
   * signal's payload, a step's templated input in a definition; larger gets 413. @default 262144 (256 KiB)
   */
  maxInputBytes?: number;
  /**
   * Largest serialized run `input` accepted by POST /runs (and a rerun), in bytes; larger gets 413
   * naming `input`. The POST /runs body limit follows it. @default 10485760 (10 MiB, `ORCH_MAX_PAYLOAD_BYTES`)
   */
  maxPayloadBytes?: number;
  /** Above this many bytes a run input is claim-checked on the payloads topic. @default 262144 (256 KiB) */
  inlinePayloadBytes?: number;
  /** How long the bus-derived metrics (queue lag, DLQ size) are cached between scrapes, in ms. @default 5000 */
  busMetricsCacheMs?: number;
  /**
   * Where the read model is kept: a PostgreSQL URL (`postgres://user@host/db`), shared by every
   * gateway configured with it, or an SQLite file. @default `<dataDir>/read-model.sqlite` with
   * `dataDir`, else an in-memory SQLite database (rebuilt from the bus at every start)
   */
  readStore?: string;
  /** Registries of other roles in this process whose metrics `/metrics` serves too. @default [] */
  metricsFrom?: readonly MetricsSource[];
  /**
   * Roles of this process that write to the bus with a client of their own (under `orch start` on
   * Kafka, the orchestrator's thread): their writes count in the bus's write metrics with those of
   * this transport. @default []
   */
  writesFrom?: readonly WriteStatsSource[];
  /** Folder of the default SQLite read store. @default undefined */
  dataDir?: string;
  /** PostgreSQL schema of the read store's tables. @default 'public' */
  readStoreSchema?: string;
  /**
   * Whether this gateway writes the read store. Gateways sharing a PostgreSQL store that write it
   * split the partitions of `events` in one consumer group; the others only read the store and
   * follow it for live events. An SQLite store is always written. @default true
   */
  readStoreWriter?: boolean;
  /**
   * Whether an SQLite read store is written on a worker thread of its own, so that its writes
   * stay off the gateway's event loop. A gateway that already runs on a thread beside the bus
   * (`startGatewayThread`) writes it on that thread: its loop has the time, and a hop to another
   * thread for every batch and its answer costs more than it spares there. @default true
   */
  readStoreThread?: boolean;
  /** Trust `X-Forwarded-For` from these proxies (Fastify `trustProxy`) so per-IP limits see the client. @default false */
  trustProxy?: boolean | string;
  /** The schedule firing loop: how often it looks, the misfire grace. */
  scheduler?: Omit<SchedulerOptions, 'now'>;
  /**
   * How long an ended run (SUCCEEDED, FAILED, CANCELLED) stays in the read store after its last
   * event, in ms; then it is deleted with its events and the API answers 404 for it, as the
   * orchestrator forgets it on `orch.state` (`ORCH_RUN_RETENTION`). @default 7 days
   */
  runRetentionMs?: number;
  /** The clock, epoch ms (commands' `at`, schedules, the run retention). Injectable for tests. @default Date.now */
  clock?: () => number;
}

export interface GatewayConfig {
  readonly topicPrefix: string;
  readonly host: string;
  readonly port: number;
  readonly bodyLimitBytes: number;
  readonly wsMaxFrameBytes: number;
  readonly wsMaxBufferedBytes: number;
  readonly uiDir: string | undefined;
  readonly instanceId: string;
  readonly partitions: number | undefined;
  /** Configured API tokens; empty means auth is off. */
  readonly tokens: readonly ApiToken[];
  readonly metricsToken: string | undefined;
  readonly allowInsecure: boolean;
  readonly corsOrigins: readonly string[];
  readonly allowedHosts: readonly string[];
  /** Resolved: 0 means off. */
  readonly rateLimitPerMinute: number;
  readonly maxInputBytes: number;
  readonly maxPayloadBytes: number;
  readonly inlinePayloadBytes: number;
  readonly busMetricsCacheMs: number;
  readonly trustProxy: boolean | string;
  readonly readStore: string;
  readonly metricsFrom: readonly MetricsSource[];
  readonly writesFrom: readonly WriteStatsSource[];
  readonly readStoreSchema: string;
  readonly readStoreWriter: boolean;
  readonly runRetentionMs: number;
  /** How often expired runs are looked for: a quarter of the retention, within 100 ms .. 1 min. */
  readonly retentionSweepMs: number;
}

export const GATEWAY_DEFAULTS = Object.freeze({
  topicPrefix: DEFAULT_TOPIC_PREFIX,
  host: '127.0.0.1',
  port: 8080,
  bodyLimitBytes: 1024 * 1024,
  wsMaxFrameBytes: 64 * 1024,
  wsMaxBufferedBytes: 8 * 1024 * 1024,
  rateLimitPerMinute: 1200,
  maxInputBytes: 256 * 1024,
  maxPayloadBytes: PAYLOAD_DEFAULTS.maxBytes,
  inlinePayloadBytes: PAYLOAD_DEFAULTS.inlineBytes,
  busMetricsCacheMs: 5000,
  runRetentionMs: DEFAULT_RUN_RETENTION_MS,
});

/**
 * The body limit of POST /runs and /runs/batch: room for an input up to twice `maxPayloadBytes`,
 * so an input over the payload limit (but not absurdly so) is parsed and refused with a 413 that
 * names `input`.
 */
export function runBodyLimit(config: Pick<GatewayConfig, 'bodyLimitBytes' | 'maxPayloadBytes'>): number {
  return Math.max(config.bodyLimitBytes, 2 * config.maxPayloadBytes + 64 * 1024);
}

/** `scheme://host[:port]` exactly as a browser sends it in `Origin`, or `*`. */
function isOrigin(value: string): boolean {
  if (value === '*') return true;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

function positiveInt(value: number, field: string, issues: { field: string; message: string }[], min = 1): void {
  if (!Number.isInteger(value) || value < min) issues.push({ field, message: `must be an integer >= ${min}, got ${String(value)}` });
}

/** Applies defaults and checks every field; throws ORCH_CONFIG listing all invalid fields. */
export function resolveGatewayConfig(options: GatewayOptions): GatewayConfig {
  const config: { -readonly [K in keyof GatewayConfig]: GatewayConfig[K] } = {
    topicPrefix: options.topicPrefix ?? GATEWAY_DEFAULTS.topicPrefix,
    host: options.host ?? GATEWAY_DEFAULTS.host,
    port: options.port ?? GATEWAY_DEFAULTS.port,
    bodyLimitBytes: options.bodyLimitBytes ?? GATEWAY_DEFAULTS.bodyLimitBytes,
    wsMaxFrameBytes: options.wsMaxFrameBytes ?? GATEWAY_DEFAULTS.wsMaxFrameBytes,
    wsMaxBufferedBytes: options.wsMaxBufferedBytes ?? GATEWAY_DEFAULTS.wsMaxBufferedBytes,
    uiDir: options.uiDir,
    instanceId: options.instanceId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    partitions: options.partitions,
    tokens: Object.freeze((Array.isArray(options.auth?.tokens) ? options.auth.tokens : []).map((t) => Object.freeze({ ...t }))),
    metricsToken: options.metricsToken,
    allowInsecure: options.allowInsecure ?? false,
    corsOrigins: Object.freeze([...(options.corsOrigins ?? [])]),
    allowedHosts: Object.freeze([...(options.allowedHosts ?? [])]),
    rateLimitPerMinute: 0,
    maxInputBytes: options.maxInputBytes ?? GATEWAY_DEFAULTS.maxInputBytes,
    maxPayloadBytes: options.maxPayloadBytes ?? GATEWAY_DEFAULTS.maxPayloadBytes,
    inlinePayloadBytes: options.inlinePayloadBytes ?? GATEWAY_DEFAULTS.inlinePayloadBytes,
    busMetricsCacheMs: options.busMetricsCacheMs ?? GATEWAY_DEFAULTS.busMetricsCacheMs,
    trustProxy: options.trustProxy ?? false,
    readStore: options.readStore ?? (options.dataDir === undefined ? ':memory:' : join(options.dataDir, 'read-model.sqlite')),
    readStoreSchema: options.readStoreSchema ?? 'public',
    metricsFrom: Object.freeze([...(options.metricsFrom ?? [])]),
    writesFrom: Object.freeze([...(options.writesFrom ?? [])]),
    readStoreWriter: options.readStoreWriter ?? true,
    runRetentionMs: options.runRetentionMs ?? GATEWAY_DEFAULTS.runRetentionMs,
    retentionSweepMs: 0,
  };
  config.retentionSweepMs = Math.min(60_000, Math.max(100, Math.floor(config.runRetentionMs / 4)));
  const authOff = config.tokens.length === 0;
  const loopback = isLoopbackHost(config.host);
  // A local developer on loopback with auth off is not throttled unless they ask for it.
  config.rateLimitPerMinute = options.rateLimitPerMinute ?? (authOff && loopback ? 0 : GATEWAY_DEFAULTS.rateLimitPerMinute);
  const issues: { field: string; message: string }[] = [];
  if (typeof options.transport !== 'object' || options.transport === null) {
    issues.push({ field: 'transport', message: 'is required' });
  }
  if (config.host.length === 0) issues.push({ field: 'host', message: 'must not be empty' });
  positiveInt(config.port, 'port', issues, 0);
  if (config.port > 65535) issues.push({ field: 'port', message: 'must be <= 65535' });
  positiveInt(config.bodyLimitBytes, 'bodyLimitBytes', issues);
  positiveInt(config.wsMaxFrameBytes, 'wsMaxFrameBytes', issues);
  positiveInt(config.wsMaxBufferedBytes, 'wsMaxBufferedBytes', issues);
  if (config.partitions !== undefined) positiveInt(config.partitions, 'partitions', issues);
  positiveInt(config.rateLimitPerMinute, 'rateLimitPerMinute', issues, 0);
  positiveInt(config.maxInputBytes, 'maxInputBytes', issues);
  positiveInt(config.maxPayloadBytes, 'maxPayloadBytes', issues);
  positiveInt(config.inlinePayloadBytes, 'inlinePayloadBytes', issues);
  positiveInt(config.busMetricsCacheMs, 'busMetricsCacheMs', issues, 0);
  if (options.auth !== undefined && !Array.isArray(options.auth.tokens)) issues.push({ field: 'auth.tokens', message: 'must be an array' });
  else issues.push(...checkApiTokens(config.tokens));
  if (config.metricsToken !== undefined && (typeof config.metricsToken !== 'string' || config.metricsToken.length < MIN_TOKEN_LENGTH)) {
    issues.push({ field: 'metricsToken', message: `must be at least ${MIN_TOKEN_LENGTH} characters` });
  }
  config.corsOrigins.forEach((origin, i) => {
    if (!isOrigin(origin)) issues.push({ field: `corsOrigins[${i}]`, message: `must be an origin such as https://app.example.com (scheme://host[:port], no path) or *, got ${JSON.stringify(origin)}` });
  });
  config.allowedHosts.forEach((host, i) => {
    if (host !== '*' && !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._:-]+)$/.test(host)) {
      issues.push({ field: `allowedHosts[${i}]`, message: `must be a host name or address without scheme, port or path (or *), got ${JSON.stringify(host)}` });
    }
  });
  if (authOff && !loopback && !config.allowInsecure && config.host.length > 0) {
    issues.push({
      field: 'auth',
      message: `host ${config.host} is not loopback and no API tokens are configured: set auth.tokens (ORCH_API_TOKENS), or allowInsecure (ORCH_ALLOW_INSECURE=1) to run without authentication`,
    });
  }
  if (typeof config.runRetentionMs !== 'number' || !Number.isFinite(config.runRetentionMs) || config.runRetentionMs < 0) {
    issues.push({ field: 'runRetentionMs', message: `must be a duration of 0 ms or more, got ${String(config.runRetentionMs)}` });
  }
  if (config.readStore.length === 0) issues.push({ field: 'readStore', message: 'must not be empty' });
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(config.readStoreSchema)) {
    issues.push({ field: 'readStoreSchema', message: 'must be a plain SQL identifier (letters, digits, "_"; at most 63)' });
  }
  if (!config.readStoreWriter && !/^postgres(ql)?:\/\//i.test(config.readStore)) {
    issues.push({ field: 'readStoreWriter', message: 'may be false only with a shared (PostgreSQL) read store' });
  }
  if (!/^[A-Za-z0-9._-]+$/.test(config.instanceId)) {
    issues.push({ field: 'instanceId', message: 'may hold only letters, digits, ".", "_" and "-"' });
  }
  if (issues.length > 0) {
    throw new OrchError(
      ErrorCode.Config,
      `invalid gateway options: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
      { issues },
    );
  }
  return Object.freeze(config);
}

/** Whether requests must carry a token. */
export function authEnabled(config: GatewayConfig): boolean {
  return config.tokens.length > 0;
}
