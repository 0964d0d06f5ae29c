/** What the route plugins share: the bus, the projections and the compiled config. */
import type { Logger } from 'pino';
import type { TopicNames } from '@orchestrator-lite/core';
import type { PayloadStore, Transport } from '@orchestrator-lite/transport';
import type { GatewayConfig } from './options.js';
import type { ReadModel } from './read-model.js';
import type { WorkflowRegistry } from './registry.js';
import type { GatewayMetrics } from './metrics.js';
import type { ScheduleService } from './schedules/service.js';
import type { RunCountsFeed } from './run-counts-feed.js';

export interface GatewayContext {
  readonly transport: Transport;
  readonly names: TopicNames;
  readonly config: GatewayConfig;
  readonly readModel: ReadModel;
  readonly registry: WorkflowRegistry;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly schedules: ScheduleService;
  /** The runs' counts, pushed to the stream's clients that ask for them. */
  readonly runCounts: RunCountsFeed;
  /** Claim-checked payloads: run inputs written, any payload read back. */
  readonly payloads: PayloadStore;
  /** True once the projections have caught up with the bus. */
  isReady(): boolean;
  /** True once the read store holds every event that was on the bus when the gateway started. */
  isCaughtUp(): boolean;
  /** Resolves true once the registry (`definitions`) or everything (`all`) has caught up; false on timeout. */
  whenCaughtUp(what: 'definitions' | 'all', timeoutMs: number): Promise<boolean>;
  /** Epoch ms; injectable for tests. */
  now(): number;
}
