/**
 * Prometheus metrics of one gateway. Each gateway has its own registry, so several gateways in
 * one process (tests, `orch start`) do not collide.
 *
 * The gateway reports what it owns and what it can read cheaply:
 * - the read store, read at scrape time from counters the store keeps in each batch's
 *   transaction (a few rows, however many runs there are): runs by status and workflow, steps by
 *   status;
 * - its own work: records consumed, dead letters, HTTP durations, stream clients;
 * - the bus, asked at scrape time through the Transport and cached (`bus-metrics.ts`): the
 *   dead-letter topic's size and each task queue's consumer lag (the queues of every registered
 *   workflow).
 *
 * Task run times, dispatch latency and retries are counted where they happen, by the workers
 * (`orch_task_*`), not by replaying events in every gateway.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DEFAULT_QUEUE } from '@orchestrator-lite/core';
import type { ReadModel } from './read-model.js';
import type { WorkflowRegistry } from './registry.js';
import { BusMetrics } from './bus-metrics.js';
import type { BusMetricsSource } from './bus-metrics.js';

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly eventsConsumed: Counter<'topic'>;
  readonly dlqRecords: Counter<'topic'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly wsClients: Gauge;
  readonly runsExpired: Counter;
}

export interface MetricsOptions {
  /** Node process metrics (`orch_gateway_process_*`, …). @default true */
  defaultMetrics?: boolean;
  /** Where queue lag and the dead-letter size come from; without it those metrics are absent. */
  bus?: BusMetricsSource;
}

/** The task queues of every registered workflow version. */
export function registeredQueues(registry: WorkflowRegistry): Set<string> {
  const queues = new Set<string>();
  for (const workflow of registry.all()) for (const step of workflow.definition.steps) queues.add(step.queue ?? DEFAULT_QUEUE);
  return queues;
}

export function createMetrics(readModel: ReadModel, workflows: WorkflowRegistry, options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'orch_gateway_' });

  new Gauge({
    name: 'orch_runs',
    help: 'Runs in the read store, by status and workflow',
    labelNames: ['status', 'workflow'],
    registers: [registry],
    async collect() {
      const byWorkflow = await readModel.countsByWorkflow();
      this.reset();
      for (const [workflow, counts] of byWorkflow) {
        for (const [status, count] of Object.entries(counts)) this.set({ status, workflow }, count);
      }
    },
  });
  new Gauge({
    name: 'orch_steps',
    help: 'Steps of the runs in the read store, by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      for (const [status, count] of Object.entries(await readModel.stepCounts())) this.set({ status }, count);
    },
  });
  if (options.bus !== undefined) new BusMetrics(options.bus, { [Symbol.iterator]: () => registeredQueues(workflows)[Symbol.iterator]() }).register(registry);

  return {
    registry,
    eventsConsumed: new Counter({
      name: 'orch_gateway_records_consumed_total',
      help: 'Records consumed by the read model, by topic',
      labelNames: ['topic'],
      registers: [registry],
    }),
    dlqRecords: new Counter({
      name: 'orch_gateway_dlq_records_total',
      help: 'Undecodable records sent to the dead-letter topic, by source topic',
      labelNames: ['topic'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'orch_gateway_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    wsClients: new Gauge({
      name: 'orch_gateway_ws_clients',
      help: 'Open WebSocket stream connections',
      registers: [registry],
    }),
    runsExpired: new Counter({
      name: 'orch_gateway_runs_expired_total',
      help: 'Ended runs this gateway deleted from the read store after the run retention',
      registers: [registry],
    }),
  };
}
