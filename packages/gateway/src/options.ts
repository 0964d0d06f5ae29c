/**
 * The gateway's options, their defaults and the frozen config compiled from them.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Transport } from '@orchestrator-lite/transport';
import { DEFAULT_TOPIC_PREFIX, ErrorCode, OrchError } from '@orchestrator-lite/core';

export interface GatewayOptions {
  /** The bus. The gateway talks to it only through this interface. */
  transport: Transport;
  /** Prefix of every topic name. @default 'orch.' */
  topicPrefix?: string;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Port to bind; 0 picks any free port. @default 8080 */
  port?: number;
  /** Largest accepted request body, in bytes; larger ones get 413. @default 1048576 (1 MiB) */
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
  /** Partition count used when provisioning the co-partitioned topics. @default 6 */
  partitions?: number;
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
  readonly partitions: number;
}

export const GATEWAY_DEFAULTS = Object.freeze({
  topicPrefix: DEFAULT_TOPIC_PREFIX,
  host: '127.0.0.1',
  port: 8080,
  bodyLimitBytes: 1024 * 1024,
  wsMaxFrameBytes: 64 * 1024,
  wsMaxBufferedBytes: 8 * 1024 * 1024,
  partitions: 6,
});

function positiveInt(value: number, field: string, issues: { field: string; message: string }[], min = 1): void {
  if (!Number.isInteger(value) || value < min) issues.push({ field, message: `must be an integer >= ${min}, got ${String(value)}` });
}

/** Applies defaults and checks every field; throws ORCH_CONFIG listing all invalid fields. */
export function resolveGatewayConfig(options: GatewayOptions): GatewayConfig {
  const config: GatewayConfig = {
    topicPrefix: options.topicPrefix ?? GATEWAY_DEFAULTS.topicPrefix,
    host: options.host ?? GATEWAY_DEFAULTS.host,
    port: options.port ?? GATEWAY_DEFAULTS.port,
    bodyLimitBytes: options.bodyLimitBytes ?? GATEWAY_DEFAULTS.bodyLimitBytes,
    wsMaxFrameBytes: options.wsMaxFrameBytes ?? GATEWAY_DEFAULTS.wsMaxFrameBytes,
    wsMaxBufferedBytes: options.wsMaxBufferedBytes ?? GATEWAY_DEFAULTS.wsMaxBufferedBytes,
    uiDir: options.uiDir,
    instanceId: options.instanceId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    partitions: options.partitions ?? GATEWAY_DEFAULTS.partitions,
  };
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
  positiveInt(config.partitions, 'partitions', issues);
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
