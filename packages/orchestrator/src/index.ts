export { startOrchestrator } from './orchestrator.js';
export type { OrchestratorHandle } from './orchestrator.js';
export type { OrchestratorOptions } from './options.js';
export { DEFAULT_RUN_RETENTION_MS, DEFAULT_SNAPSHOT_INTERVAL_MS } from './options.js';
export { TimerQueue } from './timer-queue.js';
export type { TimerEntry } from './timer-queue.js';
export { startOrchestratorThread } from './thread/orchestrator-thread.js';
export type { OrchestratorThreadHandle, OrchestratorThreadOptions, ThreadOrchestratorOptions } from './thread/orchestrator-thread.js';
export type { OrchestratorThreadSetup } from './thread/orchestrator-thread-worker.js';
