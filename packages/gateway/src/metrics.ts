/**
 * Prometheus metrics of one gateway. Each gateway has its own registry, so several gateways in
 * one process (tests, `orch start`) do not collide.
 *
 * Three sources:
 * - the read model, read at scrape time: runs by status and workflow, steps by status;
 * - events applied to the read model (`observeEvent`): dispatch latency (StepScheduled →
 *   StepStarted), task run time (StepStarted → StepSucceeded/AttemptFailed) and retries. Only
 *   events appended after this gateway started count (see Projection), so a restart, which
 *   replays the whole history, does not count it twice;
 * - the bus, asked at scrape time through the Transport and cached (`bus-metrics.ts`): the
 *   dead-letter topic's size and each task queue's consumer lag.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DEFAULT_QUEUE } from '@orchestrator-lite/core';
import type { RunEvent, RunView } from '@orchestrator-lite/core';
import type { ReadModel } from './read-model.js';
import { BusMetrics } from './bus-metrics.js';
import type { BusMetricsSource } from './bus-metrics.js';

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly eventsConsumed: Counter<'topic'>;
  readonly dlqRecords: Counter<'topic'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly wsClients: Gauge;
  readonly dispatchLatency: Histogram<'queue'>;
  readonly taskRunTime: Histogram<'task' | 'outcome'>;
  readonly retries: Counter<'workflow'>;
  /** Task queues seen in StepScheduled events; their consumer lag is reported. */
  readonly queues: ReadonlySet<string>;
  /**
   * Called for every event the read model accepted, after it was applied. `live` is false for
   * history replayed at startup: it teaches the queue names but feeds no histogram or counter.
   */
  observeEvent(event: RunEvent, view: RunView | undefined, live: boolean): void;
}

export interface MetricsOptions {
  /** Node process metrics (`orch_gateway_process_*`, …). @default true */
  defaultMetrics?: boolean;
  /** Where queue lag and the dead-letter size come from; without it those metrics are absent. */
  bus?: BusMetricsSource;
}

const SECONDS = 1000;

export function createMetrics(readModel: ReadModel, options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'orch_gateway_' });
  const queues = new Set<string>();

  new Gauge({
    name: 'orch_runs',
    help: 'Runs known to the read model, by status and workflow',
    labelNames: ['status', 'workflow'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [workflow, counts] of readModel.countsByWorkflow()) {
        for (const [status, count] of Object.entries(counts)) this.set({ status, workflow }, count);
      }
    },
  });
  new Gauge({
    name: 'orch_steps',
    help: 'Steps of the runs known to the read model, by status',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      for (const [status, count] of Object.entries(readModel.stepCounts())) this.set({ status }, count);
    },
  });
  if (options.bus !== undefined) new BusMetrics(options.bus, queues).register(registry);

  const dispatchLatency = new Histogram({
    name: 'orch_step_dispatch_latency_seconds',
    help: 'From StepScheduled to StepStarted: how long a task waited in its queue for a worker, by queue',
    labelNames: ['queue'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const taskRunTime = new Histogram({
    name: 'orch_task_run_seconds',
    help: 'From StepStarted to StepSucceeded or AttemptFailed: how long one attempt ran, by task and outcome',
    labelNames: ['task', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'orch_retries_total',
    help: 'Retries scheduled (RetryScheduled events), by workflow',
    labelNames: ['workflow'],
    registers: [registry],
  });

  function observeEvent(event: RunEvent, view: RunView | undefined, live: boolean): void {
    if (event.type === 'StepScheduled') queues.add(event.data.queue);
    if (!live || view === undefined) return;
    switch (event.type) {
      case 'StepStarted': {
        const attempt = view.steps[event.data.stepId]?.attempts.find((a) => a.attempt === event.data.attempt);
        if (attempt === undefined || event.at < attempt.scheduledAt) return;
        const queue = view.definition.steps.find((s) => s.id === event.data.stepId)?.queue ?? DEFAULT_QUEUE;
        dispatchLatency.observe({ queue }, (event.at - attempt.scheduledAt) / SECONDS);
        return;
      }
      case 'StepSucceeded':
      case 'AttemptFailed': {
        const step = view.steps[event.data.stepId];
        const attempt = step?.attempts.find((a) => a.attempt === event.data.attempt);
        if (step === undefined || attempt?.startedAt === undefined || event.at < attempt.startedAt) return;
        const outcome = event.type === 'StepSucceeded' ? 'succeeded' : event.data.reason === 'error' ? 'failed' : event.data.reason;
        taskRunTime.observe({ task: step.task, outcome }, (event.at - attempt.startedAt) / SECONDS);
        return;
      }
      case 'RetryScheduled':
        retries.inc({ workflow: view.workflow });
        return;
      default:
        return;
    }
  }

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
    dispatchLatency,
    taskRunTime,
    retries,
    queues,
    observeEvent,
  };
}
