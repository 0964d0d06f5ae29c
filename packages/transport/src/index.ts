export * from './types.js';
export * from './partitioner.js';
export * from './embedded/index.js';
export * from './provision.js';
export * from './dead-letter.js';
export * from './kafka/index.js';
export * from './payloads.js';
export * from './write-chunks.js';
export { addWriteStats } from './write-stats.js';
