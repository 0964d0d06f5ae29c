/**
 * The REST API's request and response shapes, declared once in zod: the gateway validates with
 * them and serves them as OpenAPI, and `z.infer` gives the types its clients (the UI, the CLI)
 * call it with. Browsers take the types only, from `@orchestrator-lite/core/projection`.
 */
export * from './common.js';
export * from './runs.js';
export * from './workflows.js';
export * from './schedules.js';
export * from './dlq.js';
export * from './rerun.js';
export * from './signals.js';
export * from './stream.js';
export * from './payloads.js';
