/**
 * Prometheus metrics of one gateway. Each gateway has its own registry, so several gateways in
 * one process (tests, `orch start`) do not collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReadModel } from './read-model.js';

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly eventsConsumed: Counter<'topic'>;
  readonly dlqRecords: Counter<'topic'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly wsClients: Gauge;
}

export function createMetrics(readModel: ReadModel, options: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'orch_gateway_' });
  new Gauge({
    name: 'orch_runs',
    help: 'Runs known to the read model, by status',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      for (const [status, count] of Object.entries(readModel.counts())) this.set({ status }, count);
    },
  });
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
  };
}
