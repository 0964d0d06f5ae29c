import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { startGateway, startGatewayThread } from '@orchestrator-lite/gateway';
import type { GatewayHandle, GatewayThreadHandle, ThreadGatewayOptions, WriteStatsSource } from '@orchestrator-lite/gateway';
import { startOrchestrator, startOrchestratorThread } from '@orchestrator-lite/orchestrator';
import type { OrchestratorHandle, OrchestratorThreadHandle, ThreadOrchestratorOptions } from '@orchestrator-lite/orchestrator';
import type { Transport } from '@orchestrator-lite/transport';
import { startWorker } from '@orchestrator-lite/worker';
import type { WorkerHandle } from '@orchestrator-lite/worker';
import type { Config } from './config.js';
import { demoTasks } from './demo/tasks.js';
import { prettyLogs } from './logger.js';
import type { ThreadSetupData } from './thread-setup.js';
import { kafkaOptions } from './transport.js';
import { demoWorkflows } from './demo/workflows.js';

/** The UI build the gateway serves in dev and embedded mode (packages/ui/dist). */
export function defaultUiDir(config: Config): string | undefined {
  const dir = config.uiDir ?? fileURLToPath(new URL('../../../ui/dist', import.meta.url));
  return existsSync(`${dir}/index.html`) ? dir : undefined;
}

/** `ORCH_PARTITIONS` when set; unset, each role takes the transport's `defaultPartitions`. */
const partitionsOf = (config: Config): { partitions?: number } => (config.partitions === undefined ? {} : { partitions: config.partitions });

/** The orchestrator's options from the config: those that can cross to a thread. */
function orchestratorOptions(config: Config): ThreadOrchestratorOptions {
  return {
    topicPrefix: config.topicPrefix,
    ...partitionsOf(config),
    runRetentionMs: config.runRetention,
    ...(config.snapshotIntervalMs === undefined ? {} : { snapshotIntervalMs: config.snapshotIntervalMs }),
  };
}

/** The orchestrator on the event loop (`orch orchestrator`, and `orch start` on the embedded bus). */
export function runOrchestrator(config: Config, transport: Transport, logger: Logger): Promise<OrchestratorHandle> {
  return startOrchestrator({ ...orchestratorOptions(config), transport, logger: logger.child({ role: 'orchestrator' }) });
}

/** The module that sets up a role's thread: the process's log lines and tracing. */
const threadSetup = (config: Config): { module: string; data: ThreadSetupData } => ({
  module: new URL('./thread-setup.js', import.meta.url).href,
  data: { logLevel: config.logLevel, pretty: prettyLogs() },
});

/**
 * The orchestrator beside other roles on Kafka (`orch start`): on a thread of its own with a
 * Kafka client of its own, so that it and the roles on the event loop share the machine's cores. A
 * thread that stops on its own ends the process.
 */
export function runOrchestratorThread(config: Config, brokers: string[], logger: Logger): Promise<OrchestratorThreadHandle> {
  return startOrchestratorThread({
    kafka: kafkaOptions(config, brokers),
    orchestrator: orchestratorOptions(config),
    setup: threadSetup(config),
    onFailure: (error) => {
      logger.fatal({ err: error }, 'the orchestrator stopped');
      process.exit(1);
    },
  });
}

export function runDemoWorker(config: Config, transport: Transport, logger: Logger): Promise<WorkerHandle> {
  return startWorker({
    transport,
    tasks: demoTasks,
    topicPrefix: config.topicPrefix,
    ...partitionsOf(config),
    concurrency: config.concurrency,
    maxOutputBytes: config.maxPayloadBytes,
    inlinePayloadBytes: config.inlinePayloadBytes,
    logger: logger.child({ role: 'worker' }),
  });
}

/** The gateway's options from the config: those that can cross to a thread. */
function gatewayOptions(config: Config, logger: Logger): ThreadGatewayOptions {
  const uiDir = defaultUiDir(config);
  if (!uiDir) logger.warn('no UI build found (packages/ui/dist): the gateway serves the API only; run `npm run build`');
  return {
    topicPrefix: config.topicPrefix,
    ...partitionsOf(config),
    host: config.host,
    port: config.port,
    bodyLimitBytes: config.bodyLimitBytes,
    maxInputBytes: config.maxInputBytes,
    maxPayloadBytes: config.maxPayloadBytes,
    inlinePayloadBytes: config.inlinePayloadBytes,
    wsMaxFrameBytes: config.wsMaxFrameBytes,
    ...(config.apiTokens.length > 0 ? { auth: { tokens: config.apiTokens } } : {}),
    ...(config.metricsToken === undefined ? {} : { metricsToken: config.metricsToken }),
    allowInsecure: config.allowInsecure,
    corsOrigins: config.corsOrigins,
    allowedHosts: config.allowedHosts,
    ...(config.rateLimit === undefined ? {} : { rateLimitPerMinute: config.rateLimit }),
    trustProxy: config.trustProxy,
    runRetentionMs: config.runRetention,
    // The read model: PostgreSQL when ORCH_READ_STORE names one, else an SQLite file in the data dir.
    readStore: config.readStore ?? join(resolve(config.dataDir), `gateway.${config.topicPrefix}read-model.sqlite`),
    ...(uiDir ? { uiDir } : {}),
  };
}

/**
 * The gateway on the event loop (`orch gateway`, and `orch start` on Kafka); `metricsFrom`: the
 * other roles' metrics; `writesFrom`: the bus writes of roles with a Kafka client of their own.
 */
export function runGateway(config: Config, transport: Transport, logger: Logger, metricsFrom: readonly Registry[] = [], writesFrom: readonly WriteStatsSource[] = []): Promise<GatewayHandle> {
  return startGateway({ ...gatewayOptions(config, logger), transport, metricsFrom, writesFrom, logger: logger.child({ role: 'gateway' }) });
}

/**
 * The gateway beside other roles on the embedded bus (`orch start`): on a thread of its own, so
 * that it and the roles on the event loop share the machine's cores; the roles' metrics
 * (`metricsFrom`) come to its `/metrics`. A thread that stops on its own ends the process.
 */
export function runGatewayThread(config: Config, transport: Transport, logger: Logger, metricsFrom: readonly Registry[]): Promise<GatewayThreadHandle> {
  return startGatewayThread({
    transport,
    gateway: gatewayOptions(config, logger),
    metricsFrom,
    setup: threadSetup(config),
    onFailure: (error) => {
      logger.fatal({ err: error }, 'the gateway stopped');
      process.exit(1);
    },
  });
}

/** Registers the demo workflows through the gateway's own API, so they pass the same validation. */
export async function registerDemoWorkflows(config: Config, gatewayUrl: string, logger: Logger): Promise<void> {
  const token = config.apiTokens.find((t) => t.scope === 'write')?.token;
  for (const definition of demoWorkflows) {
    const response = await fetch(`${gatewayUrl}/api/v1/workflows/${encodeURIComponent(definition.name)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(definition),
    });
    if (!response.ok) throw new Error(`registering demo workflow ${definition.name} failed: ${response.status} ${await response.text()}`);
  }
  logger.info({ workflows: demoWorkflows.map((d) => d.name) }, `registered ${demoWorkflows.length} demo workflows`);
}

/** Closes in reverse order of start on SIGINT/SIGTERM; a second signal exits at once. */
export function closeOnSignals(logger: Logger, closers: (() => Promise<void>)[]): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info(`${signal}: shutting down`);
    (async () => {
      for (const close of [...closers].reverse()) {
        await close().catch((error: unknown) => logger.error({ err: error }, 'error while shutting down'));
      }
      process.exit(0);
    })().catch(() => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
