/** @orchestrator-lite/gateway — REST, the live WebSocket stream and the read model. */
export { startGateway } from './gateway.js';
export type { GatewayHandle } from './gateway.js';
export { GATEWAY_DEFAULTS, authEnabled, resolveGatewayConfig } from './options.js';
export { MIN_TOKEN_LENGTH, TOKEN_SCOPES, TokenStore, isLoopbackHost, parseApiTokens } from './tokens.js';
export type { ApiToken, Principal, TokenScope } from './tokens.js';
export { createMetrics } from './metrics.js';
export type { GatewayMetrics, MetricsOptions } from './metrics.js';
export { queueLag } from './bus-metrics.js';
export type { BusMetricsSource } from './bus-metrics.js';
export type { GatewayConfig, GatewayOptions } from './options.js';
export { ReadModel, isTerminal } from './read-model.js';
export type { EventListener, RunListPage, RunListQuery, StoredEvent } from './read-model.js';
export { SqliteReadStore } from './store/sqlite-store.js';
export { openReadStore, isPostgresUrl } from './store/open-store.js';
export type { ReadStore, BatchResult, IncomingRecord } from './store/types.js';
export { WorkflowRegistry } from './registry.js';
export type { WorkflowSummary } from './registry.js';
export { decodeStreamCursor, encodeStreamCursor } from './stream-cursor.js';
