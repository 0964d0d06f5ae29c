export * from './types.js';
export * from './partitioner.js';
export * from './embedded/index.js';
