export { startWorker } from './worker.js';
export type { WorkerHandle } from './worker.js';
export type { WorkerOptions } from './options.js';
export { defineTask } from './task.js';
export type { TaskContext, TaskDefinition, TaskHandler, TaskOptions } from './task.js';
export { NonRetryableError, RetryAfterError, toErrorInfo } from './errors.js';
export { PartitionTracker } from './partition-tracker.js';
export { createWorkerMetrics } from './metrics.js';
export type { WorkerMetrics } from './metrics.js';
