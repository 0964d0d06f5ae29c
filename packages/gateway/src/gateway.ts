/**
 * Starts a gateway: provisions topics, starts the projections, then listens. It answers at once;
 * `/readyz` turns 200 when the read model has caught up with the bus.
 */
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { topicNames } from '@orchestrator-lite/core';
import { PayloadStore, provisionTopics } from '@orchestrator-lite/transport';
import { buildApp } from './app.js';
import type { GatewayContext } from './context.js';
import { createMetrics } from './metrics.js';
import type { GatewayOptions } from './options.js';
import { resolveGatewayConfig } from './options.js';
import { Projection } from './projection.js';
import { ReadModel } from './read-model.js';
import { RetentionSweep } from './retention.js';
import { RunCountsFeed } from './run-counts-feed.js';
import { openReadStore } from './store/open-store.js';
import { WorkflowRegistry } from './registry.js';
import { logSecurityPosture } from './security.js';
import { scheduleRunOps } from './schedules/run-ops.js';
import { ScheduleService } from './schedules/service.js';

/** How often the runs' counts are read for the stream's clients that follow them. */
const COUNTS_INTERVAL_MS = 1_000;

export interface GatewayHandle {
  /** `http://HOST:PORT` */
  url: string;
  port: number;
  app: FastifyInstance;
  readModel: ReadModel;
  /** Schedules: the projection and the firing loop (`tick()` fires what is owed now). */
  schedules: ScheduleService;
  /** True once the read model and the registry have caught up with the bus. */
  isReady(): boolean;
  /**
   * Deletes from the read store now every run that ended more than `runRetentionMs` ago (what
   * the periodic sweep does); resolves with how many. A gateway that only reads a shared store
   * deletes nothing: the writers sweep it.
   */
  sweepRetention(): Promise<number>;
  /** Stops listening (closing WebSocket clients) and leaves the consumer groups. */
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<GatewayHandle> {
  const config = resolveGatewayConfig(options);
  const logger = options.logger ?? pino({ name: 'gateway', level: process.env.LOG_LEVEL ?? 'info' });
  logSecurityPosture(config, logger);
  const { transport } = options;
  const names = topicNames(config.topicPrefix);
  // commands/results/state/events co-partitioned with `partitions`; definitions, control, dlq: 1.
  await provisionTopics(transport, names, { partitions: config.partitions });

  const store = await openReadStore({
    location: config.readStore,
    schema: config.readStoreSchema,
    thread: options.readStoreThread ?? true,
    onNote: (note) => logger.info({ readStore: config.readStore }, note),
  });
  const readModel = new ReadModel(store);
  const registry = new WorkflowRegistry();
  const metrics = createMetrics(readModel, registry, {
    bus: { transport, writesFrom: config.writesFrom, names, topicPrefix: config.topicPrefix, cacheMs: config.busMetricsCacheMs, logger },
  });
  const projection = new Projection({
    transport,
    names,
    groupPrefix: `${config.topicPrefix}gateway.${config.instanceId}`,
    storeGroup: `${config.topicPrefix}gateway.store.${store.id}`,
    write: config.readStoreWriter,
    readModel,
    registry,
    metrics,
    logger,
  });
  const clock = options.clock ?? Date.now;
  const schedules = new ScheduleService({
    transport,
    topic: names.schedules,
    projectionGroup: `${config.topicPrefix}gateway.${config.instanceId}.schedules`,
    firingGroup: `${config.topicPrefix}scheduler`,
    logger,
    scheduler: { ...options.scheduler, now: clock },
  });
  let shuttingDown = false;
  const runCounts = new RunCountsFeed({ read: () => readModel.countsByWorkflow(), intervalMs: COUNTS_INTERVAL_MS, now: clock, logger });
  const ctx: GatewayContext = {
    transport,
    names,
    config,
    readModel,
    registry,
    metrics,
    logger,
    schedules,
    runCounts,
    payloads: new PayloadStore(transport, { topic: names.payloads, inlineBytes: config.inlinePayloadBytes }),
    // While shutting down, /readyz answers 503 so a load balancer stops sending traffic here.
    isReady: () => !shuttingDown && projection.ready,
    isCaughtUp: () => projection.caughtUp,
    whenCaughtUp: (what, timeoutMs) => projection.whenCaughtUp(what, timeoutMs),
    now: () => clock(),
  };

  const retention = new RetentionSweep({
    store,
    retentionMs: config.runRetentionMs,
    intervalMs: config.retentionSweepMs,
    now: clock,
    ready: () => projection.caughtUp,
    logger,
    onExpired: (runIds) => metrics.runsExpired.inc(runIds.length),
  });

  let app: FastifyInstance | undefined;
  try {
    await projection.start();
    if (config.readStoreWriter) retention.start();
    await schedules.start(scheduleRunOps(ctx, clock));
    app = await buildApp(ctx);
    // Fastify logs the address once (per interface when bound to all): the one startup line.
    await app.listen({ host: config.host, port: config.port, listenTextResolver: (address) => `gateway listening on ${address}` });
  } catch (error) {
    await app?.close();
    await retention.stop();
    await schedules.close();
    await projection.close();
    await store.close();
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${address.port}`;
  logger.debug({ instanceId: config.instanceId, topicPrefix: config.topicPrefix, url }, 'gateway started');

  let closing: Promise<void> | undefined;
  const started = app;
  return {
    url,
    port: address.port,
    app: started,
    readModel,
    schedules,
    isReady: () => ctx.isReady(),
    sweepRetention: () => (config.readStoreWriter ? retention.sweep() : Promise.resolve(0)),
    close: () => {
      closing ??= (async () => {
        shuttingDown = true;
        await started.close();
        runCounts.close();
        await retention.stop();
        await schedules.close();
        await projection.close();
        await store.close();
      })();
      return closing;
    },
  };
}
