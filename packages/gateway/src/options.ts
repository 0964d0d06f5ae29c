/**
 * The gateway's options, their defaults and the frozen config compiled from them.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Transport, WriteStats } from '@orchestrator-lite/transport';
import { z } from 'zod';
import { DEFAULT_RUN_RETENTION_MS, DEFAULT_TOPIC_PREFIX, durationOption, integerOption, objectOption, parseOptions, PAYLOAD_DEFAULTS, retentionSweepMs } from '@orchestrator-lite/core';
import { apiTokenIssues, isLoopbackHost, MIN_TOKEN_LENGTH } from './tokens.js';
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

const origin = z.string().refine(isOrigin, {
  error: (issue) => `must be an origin such as https://app.example.com (scheme://host[:port], no path) or *, got ${JSON.stringify(issue.input)}`,
});
const hostName = z.string().refine((host) => host === '*' || /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._:-]+)$/.test(host), {
  error: (issue) => `must be a host name or address without scheme, port or path (or *), got ${JSON.stringify(issue.input)}`,
});
const metricsTokenMessage = `must be at least ${MIN_TOKEN_LENGTH} characters`;

/** Each option of the gateway with its default and its check; `deploymentIssues` checks them together. */
const gatewayOptionsSchema = z
  .object({
    transport: objectOption<Transport>('is required'),
    topicPrefix: z.string().default(GATEWAY_DEFAULTS.topicPrefix),
    host: z.string().min(1, { error: 'must not be empty' }).default(GATEWAY_DEFAULTS.host),
    port: integerOption(0, 65535).default(GATEWAY_DEFAULTS.port),
    bodyLimitBytes: integerOption(1).default(GATEWAY_DEFAULTS.bodyLimitBytes),
    wsMaxFrameBytes: integerOption(1).default(GATEWAY_DEFAULTS.wsMaxFrameBytes),
    wsMaxBufferedBytes: integerOption(1).default(GATEWAY_DEFAULTS.wsMaxBufferedBytes),
    uiDir: z.string().optional(),
    instanceId: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, { error: 'may hold only letters, digits, ".", "_" and "-"' })
      .default(() => `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`),
    partitions: integerOption(1).optional(),
    auth: z.object({ tokens: z.array(z.custom<ApiToken>(), { error: 'must be an array' }) }).optional(),
    metricsToken: z.string({ error: metricsTokenMessage }).min(MIN_TOKEN_LENGTH, { error: metricsTokenMessage }).optional(),
    allowInsecure: z.boolean().default(false),
    corsOrigins: z.array(origin).default([]),
    allowedHosts: z.array(hostName).default([]),
    rateLimitPerMinute: integerOption(0).optional(),
    maxInputBytes: integerOption(1).default(GATEWAY_DEFAULTS.maxInputBytes),
    maxPayloadBytes: integerOption(1).default(GATEWAY_DEFAULTS.maxPayloadBytes),
    inlinePayloadBytes: integerOption(1).default(GATEWAY_DEFAULTS.inlinePayloadBytes),
    busMetricsCacheMs: integerOption(0).default(GATEWAY_DEFAULTS.busMetricsCacheMs),
    trustProxy: z.union([z.boolean(), z.string()]).default(false),
    dataDir: z.string().optional(),
    readStore: z.string().min(1, { error: 'must not be empty' }).optional(),
    readStoreSchema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, { error: 'must be a plain SQL identifier (letters, digits, "_"; at most 63)' })
      .default('public'),
    metricsFrom: z.array(z.custom<MetricsSource>()).default([]),
    writesFrom: z.array(z.custom<WriteStatsSource>()).default([]),
    readStoreWriter: z.boolean().default(true),
    runRetentionMs: durationOption().default(GATEWAY_DEFAULTS.runRetentionMs),
  })
  // Checked even when a field failed its own check: every invalid field is listed at once.
  .superRefine(deploymentIssues, { when: () => true });

type ParsedGatewayOptions = z.output<typeof gatewayOptionsSchema>;

/**
 * The checks of several options together: the API tokens, a gateway that others can reach only
 * with tokens (or told that it may run without), and a read store shared only when it can be.
 * The options may be partly invalid here, each such field with its issue already.
 */
function deploymentIssues(options: ParsedGatewayOptions, ctx: z.RefinementCtx): void {
  const tokens = Array.isArray(options.auth?.tokens) ? options.auth.tokens : [];
  for (const issue of apiTokenIssues(tokens)) ctx.addIssue({ code: 'custom', path: ['auth', 'tokens', ...issue.path], message: issue.message });
  const { host } = options;
  if (tokens.length === 0 && typeof host === 'string' && host.length > 0 && !isLoopbackHost(host) && options.allowInsecure !== true) {
    ctx.addIssue({
      code: 'custom',
      path: ['auth'],
      message: `host ${host} is not loopback and no API tokens are configured: set auth.tokens (ORCH_API_TOKENS), or allowInsecure (ORCH_ALLOW_INSECURE=1) to run without authentication`,
    });
  }
  if (options.readStoreWriter === false && !/^postgres(ql)?:\/\//i.test(String(options.readStore ?? ''))) {
    ctx.addIssue({ code: 'custom', path: ['readStoreWriter'], message: 'may be false only with a shared (PostgreSQL) read store' });
  }
}

/** Applies defaults and checks every field; throws ORCH_CONFIG listing all invalid fields. */
export function resolveGatewayConfig(options: GatewayOptions): GatewayConfig {
  const o = parseOptions('gateway', gatewayOptionsSchema, options);
  const tokens = Object.freeze((o.auth?.tokens ?? []).map((t) => Object.freeze({ ...t })));
  return Object.freeze({
    topicPrefix: o.topicPrefix,
    host: o.host,
    port: o.port,
    bodyLimitBytes: o.bodyLimitBytes,
    wsMaxFrameBytes: o.wsMaxFrameBytes,
    wsMaxBufferedBytes: o.wsMaxBufferedBytes,
    uiDir: o.uiDir,
    instanceId: o.instanceId,
    partitions: o.partitions,
    tokens,
    metricsToken: o.metricsToken,
    allowInsecure: o.allowInsecure,
    corsOrigins: Object.freeze(o.corsOrigins),
    allowedHosts: Object.freeze(o.allowedHosts),
    // A local developer on loopback with auth off is not throttled unless they ask for it.
    rateLimitPerMinute: o.rateLimitPerMinute ?? (tokens.length === 0 && isLoopbackHost(o.host) ? 0 : GATEWAY_DEFAULTS.rateLimitPerMinute),
    maxInputBytes: o.maxInputBytes,
    maxPayloadBytes: o.maxPayloadBytes,
    inlinePayloadBytes: o.inlinePayloadBytes,
    busMetricsCacheMs: o.busMetricsCacheMs,
    trustProxy: o.trustProxy,
    readStore: o.readStore ?? (o.dataDir === undefined ? ':memory:' : join(o.dataDir, 'read-model.sqlite')),
    metricsFrom: Object.freeze(o.metricsFrom),
    writesFrom: Object.freeze(o.writesFrom),
    readStoreSchema: o.readStoreSchema,
    readStoreWriter: o.readStoreWriter,
    runRetentionMs: o.runRetentionMs,
    retentionSweepMs: retentionSweepMs(o.runRetentionMs),
  });
}

/** Whether requests must carry a token. */
export function authEnabled(config: GatewayConfig): boolean {
  return config.tokens.length > 0;
}
