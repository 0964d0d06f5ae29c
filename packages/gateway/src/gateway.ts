/**
 * Starts a gateway: provisions topics, starts the projections, then listens. It answers at once;
 * `/readyz` turns 200 when the read model has caught up with the bus.
 */
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { topicNames } from '@orchestrator-lite/core';
import { PayloadStore, provisionTopics } from '@orchestrator-lite/transport';
import { buildApp } from './app.js';
import type { GatewayContext } from './context.js';
import { createMetrics } from './metrics.js';
import type { GatewayConfig, GatewayOptions } from './options.js';
import { resolveGatewayConfig } from './options.js';
import { Projection } from './projection.js';
import { ReadModel } from './read-model.js';
import { RetentionSweep } from './retention.js';
import { RunCountsFeed } from './run-counts-feed.js';
import { openReadStore } from './store/open-store.js';
import type { ReadStore } from './store/types.js';
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

/**
 * Everything a gateway runs beside its HTTP server, made from its options and its read store:
 * the projection of the bus into the read model, the schedules, the retention sweep and the run
 * counts' feed, and the context the routes read them through.
 */
class GatewayParts {
  readonly readModel: ReadModel;
  readonly projection: Projection;
  readonly schedules: ScheduleService;
  readonly ctx: GatewayContext;
  readonly #config: GatewayConfig;
  readonly #store: ReadStore;
  readonly #clock: () => number;
  readonly #runCounts: RunCountsFeed;
  readonly #retention: RetentionSweep;
  #shuttingDown = false;

  constructor(options: GatewayOptions, config: GatewayConfig, logger: Logger, store: ReadStore) {
    const { transport } = options;
    const names = topicNames(config.topicPrefix);
    this.#config = config;
    this.#store = store;
    this.#clock = options.clock ?? Date.now;
    this.readModel = new ReadModel(store);
    const registry = new WorkflowRegistry();
    const metrics = createMetrics(this.readModel, registry, {
      bus: { transport, writesFrom: config.writesFrom, names, topicPrefix: config.topicPrefix, cacheMs: config.busMetricsCacheMs, logger },
    });
    this.projection = new Projection({
      transport,
      names,
      groupPrefix: `${config.topicPrefix}gateway.${config.instanceId}`,
      storeGroup: `${config.topicPrefix}gateway.store.${store.id}`,
      write: config.readStoreWriter,
      readModel: this.readModel,
      registry,
      metrics,
      logger,
    });
    this.schedules = new ScheduleService({
      transport,
      topic: names.schedules,
      projectionGroup: `${config.topicPrefix}gateway.${config.instanceId}.schedules`,
      firingGroup: `${config.topicPrefix}scheduler`,
      logger,
      scheduler: { ...options.scheduler, now: this.#clock },
    });
    this.#runCounts = new RunCountsFeed({ read: () => this.readModel.countsByWorkflow(), intervalMs: COUNTS_INTERVAL_MS, now: this.#clock, logger });
    this.#retention = new RetentionSweep({
      store,
      retentionMs: config.runRetentionMs,
      intervalMs: config.retentionSweepMs,
      now: this.#clock,
      ready: () => this.projection.caughtUp,
      logger,
      onExpired: (runIds) => metrics.runsExpired.inc(runIds.length),
    });
    this.ctx = {
      transport,
      names,
      config,
      readModel: this.readModel,
      registry,
      metrics,
      logger,
      schedules: this.schedules,
      runCounts: this.#runCounts,
      payloads: new PayloadStore(transport, { topic: names.payloads, inlineBytes: config.inlinePayloadBytes }),
      // While shutting down, /readyz answers 503 so a load balancer stops sending traffic here.
      isReady: () => !this.#shuttingDown && this.projection.ready,
      isCaughtUp: () => this.projection.caughtUp,
      whenCaughtUp: (what, timeoutMs) => this.projection.whenCaughtUp(what, timeoutMs),
      now: () => this.#clock(),
    };
  }

  /** Starts the projection, the sweep and the schedules, then the HTTP server; on a failure, closes what started. */
  async listen(): Promise<FastifyInstance> {
    let app: FastifyInstance | undefined;
    try {
      await this.projection.start();
      if (this.#config.readStoreWriter) this.#retention.start();
      await this.schedules.start(scheduleRunOps(this.ctx, this.#clock));
      app = await buildApp(this.ctx);
      // Fastify logs the address once (per interface when bound to all): the one startup line.
      await app.listen({ host: this.#config.host, port: this.#config.port, listenTextResolver: (address) => `gateway listening on ${address}` });
      return app;
    } catch (error) {
      await app?.close();
      await this.#closeParts();
      throw error;
    }
  }

  sweepRetention(): Promise<number> {
    return this.#config.readStoreWriter ? this.#retention.sweep() : Promise.resolve(0);
  }

  /** Stops taking traffic (`/readyz` answers 503 at once), closes the server, then every part in order. */
  async close(app: FastifyInstance): Promise<void> {
    this.#shuttingDown = true;
    await app.close();
    this.#runCounts.close();
    await this.#closeParts();
  }

  async #closeParts(): Promise<void> {
    await this.#retention.stop();
    await this.schedules.close();
    await this.projection.close();
    await this.#store.close();
  }
}

export async function startGateway(options: GatewayOptions): Promise<GatewayHandle> {
  const config = resolveGatewayConfig(options);
  const logger = options.logger ?? pino({ name: 'gateway', level: process.env.LOG_LEVEL ?? 'info' });
  logSecurityPosture(config, logger);
  // commands/results/state/events co-partitioned with `partitions`; definitions, control, dlq: 1.
  await provisionTopics(options.transport, topicNames(config.topicPrefix), { partitions: config.partitions });
  const store = await openReadStore({
    location: config.readStore,
    schema: config.readStoreSchema,
    thread: options.readStoreThread ?? true,
    onNote: (note) => logger.info({ readStore: config.readStore }, note),
  });
  const parts = new GatewayParts(options, config, logger, store);
  const app = await parts.listen();
  const address = app.server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${address.port}`;
  logger.debug({ instanceId: config.instanceId, topicPrefix: config.topicPrefix, url }, 'gateway started');

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    app,
    readModel: parts.readModel,
    schedules: parts.schedules,
    isReady: () => parts.ctx.isReady(),
    sweepRetention: () => parts.sweepRetention(),
    close: () => (closing ??= parts.close(app)),
  };
}
