import type { ResourceLimits } from 'node:worker_threads';

/**
 * The young generation the project's processes and threads run with: semi-spaces of 32 MB. V8's
 * own default on a 64-bit machine with memory to spare is 64 MB (a 128 MB new space), which made
 * the engine slower: `node bench/ab.mjs --together`, both sides at once, 6 rounds of chain10, 32 MB
 * against the default, made 1.129× the steps/s at 0.901× the CPU a step on the embedded bus and
 * 1.148× at 0.878× on Kafka; 16 MB 1.094×, 64 MB (the default again) 0.987×. A nursery that stays
 * in the processor's caches is scavenged faster, and the engine's garbage dies young.
 *
 * The main thread takes it from the command line that starts Node (`node
 * --max-semi-space-size=32`: `npm start`, the `orch` command, the container's entry point, the
 * bench's processes of the engine), since V8 sizes that heap before any code runs; every thread
 * the project starts takes `threadLimits()`.
 */
export const SEMI_SPACE_MB = 32;

/** The Node flag that gives a process's main thread that young generation. */
export const SEMI_SPACE_FLAG = `--max-semi-space-size=${SEMI_SPACE_MB}`;

/** A worker thread's limits for the same young generation: V8's is three semi-spaces (two, and the large objects'). */
export const threadLimits = (): ResourceLimits => ({ maxYoungGenerationSizeMb: 3 * SEMI_SPACE_MB });
