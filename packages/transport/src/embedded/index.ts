export { createEmbeddedTransport } from './transport.js';
export { BACKGROUND_COMPACTION_SHARE } from './log-writer.js';
export type { EmbeddedTransport } from './transport.js';
export type { EmbeddedTransportOptions } from './options.js';
export { EMBEDDED_DEFAULTS } from './options.js';
export type { CommittedOffset } from './store.js';
export { TransportError, TransportErrorReason } from './errors.js';
