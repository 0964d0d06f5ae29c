/**
 * A worker's task metrics, counted where the work happens (not by a gateway replaying events):
 *
 * - `orch_task_run_seconds{task, outcome}`: how long each attempt's handler ran, by outcome
 *   (`succeeded`, `failed`, `timeout`, `cancelled`);
 * - `orch_task_dispatch_latency_seconds{queue}`: from the orchestrator's dispatch to the start of
 *   the attempt here (the wait in the queue);
 * - `orch_task_retries_total{task}`: retry attempts run (attempt 2 and later).
 *
 * Each worker has its own registry (pass one to share it, e.g. with a process's `/metrics`).
 */
import { Counter, Histogram, Registry } from 'prom-client';

export interface WorkerMetrics {
  readonly registry: Registry;
  readonly runTime: Histogram<'task' | 'outcome'>;
  readonly dispatchLatency: Histogram<'queue'>;
  readonly retries: Counter<'task'>;
}

export function createWorkerMetrics(registry: Registry = new Registry()): WorkerMetrics {
  return {
    registry,
    runTime: new Histogram({
      name: 'orch_task_run_seconds',
      help: 'How long one attempt of a task ran in this worker, by task and outcome',
      labelNames: ['task', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers: [registry],
    }),
    dispatchLatency: new Histogram({
      name: 'orch_task_dispatch_latency_seconds',
      help: 'From dispatch by the orchestrator to the start of the attempt in this worker, by queue',
      labelNames: ['queue'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'orch_task_retries_total',
      help: 'Retry attempts (attempt 2 and later) run by this worker, by task',
      labelNames: ['task'],
      registers: [registry],
    }),
  };
}

/** The outcome label of a finished attempt. */
export function outcomeOf(failure: { type: string } | undefined): 'succeeded' | 'failed' | 'timeout' | 'cancelled' {
  if (failure === undefined) return 'succeeded';
  if (failure.type === 'ORCH_TIMEOUT' || failure.type === 'ORCH_HEARTBEAT_TIMEOUT') return 'timeout';
  if (failure.type === 'ORCH_CANCELLED') return 'cancelled';
  return 'failed';
}
