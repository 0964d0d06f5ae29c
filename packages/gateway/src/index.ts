/** @orchestrator-lite/gateway — REST, the live WebSocket stream and the read model. */
export { startGateway } from './gateway.js';
export type { GatewayHandle } from './gateway.js';
export { GATEWAY_DEFAULTS, resolveGatewayConfig } from './options.js';
export type { GatewayConfig, GatewayOptions } from './options.js';
export { ReadModel, isTerminal, summarize } from './read-model.js';
export type { EventListener, RunListPage, RunListQuery, RunSummary, StoredEvent } from './read-model.js';
export { WorkflowRegistry } from './registry.js';
export type { WorkflowSummary } from './registry.js';
export { decodeStreamCursor, encodeStreamCursor } from './stream-cursor.js';
