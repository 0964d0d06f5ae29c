import { z } from 'zod';
import { integerOption, parseOptions } from '@orchestrator-lite/core';
import { retentionOption } from '../retention.js';

/**
 * Options of the embedded transport: a durable, single-process log on SQLite.
 *
 * The embedded mode is single-process: several transports may share one `dataDir` inside one
 * process (they share one reading connection, one writing connection, one compaction thread, one
 * group coordinator and one wake-up signal), but another process cannot open it while it is in
 * use (a lock file keeps it). Use the Kafka transport to spread roles over several processes.
 */
export interface EmbeddedTransportOptions {
  /** Folder of the log; created if missing. The database is `<dataDir>/bus.db`. */
  dataDir: string;
  /**
   * When SQLite syncs to disk. `normal` (write-ahead log, synced at checkpoints) loses nothing
   * acknowledged when the process dies, `kill -9` included: a commit is in the log file before it
   * is acknowledged. Only power loss or an OS crash can lose the last commits; `full` syncs every
   * commit to survive those too, at about a third of the throughput.
   * @default 'normal'
   */
  synchronous?: 'normal' | 'full';
  /**
   * Safety-net poll of an idle partition. Delivery is woken by `produce` within the process;
   * this interval only bounds the delay if a wake-up were ever missed.
   * @default 200
   */
  pollIntervalMs?: number;
  /** How often compacted topics are compacted in the background; `0` turns it off. @default 60000 */
  compactionIntervalMs?: number;
  /**
   * How long the records of the topics that are not compacted are kept, as Kafka's `retention.ms`
   * (whose default this is): older ones are removed with the background compaction, a partition's
   * last record excepted. `-1` keeps them forever.
   * @default 604800000 (7 days)
   */
  retentionMs?: number;
}

export interface ResolvedEmbeddedOptions {
  readonly dataDir: string;
  readonly synchronous: 'normal' | 'full';
  readonly pollIntervalMs: number;
  readonly compactionIntervalMs: number;
  readonly retentionMs: number;
}

export const EMBEDDED_DEFAULTS = Object.freeze({
  synchronous: 'normal',
  pollIntervalMs: 200,
  compactionIntervalMs: 60_000,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
} as const);

const embeddedOptionsSchema = z.object({
  dataDir: z.string({ error: 'must be a non-empty string' }).refine((dir) => dir.trim() !== '', { error: 'must be a non-empty string' }),
  synchronous: z.enum(['normal', 'full'], { error: (issue) => `must be 'normal' or 'full', got ${JSON.stringify(issue.input)}` }).default(EMBEDDED_DEFAULTS.synchronous),
  pollIntervalMs: integerOption(1, 60_000).default(EMBEDDED_DEFAULTS.pollIntervalMs),
  compactionIntervalMs: integerOption(0).default(EMBEDDED_DEFAULTS.compactionIntervalMs),
  retentionMs: retentionOption().default(EMBEDDED_DEFAULTS.retentionMs),
});

/** Validates the options and fills in defaults; lists every invalid field in one ORCH_CONFIG error. */
export function resolveEmbeddedOptions(options: EmbeddedTransportOptions): ResolvedEmbeddedOptions {
  return Object.freeze(parseOptions('embedded transport', embeddedOptionsSchema, options ?? {}));
}
