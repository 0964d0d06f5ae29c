import { isRetentionMs } from '../retention.js';

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

/** Validates the options and fills in defaults; lists every invalid field in one error. */
export function resolveEmbeddedOptions(options: EmbeddedTransportOptions): ResolvedEmbeddedOptions {
  const problems: string[] = [];
  const input = (options ?? {}) as Partial<EmbeddedTransportOptions>;
  if (typeof input.dataDir !== 'string' || input.dataDir.trim() === '') {
    problems.push('dataDir must be a non-empty string');
  }
  const synchronous = input.synchronous ?? EMBEDDED_DEFAULTS.synchronous;
  if (synchronous !== 'normal' && synchronous !== 'full') {
    problems.push(`synchronous must be 'normal' or 'full', got ${JSON.stringify(synchronous)}`);
  }
  const pollIntervalMs = input.pollIntervalMs ?? EMBEDDED_DEFAULTS.pollIntervalMs;
  if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 1 || pollIntervalMs > 60_000) {
    problems.push(`pollIntervalMs must be an integer from 1 to 60000, got ${String(pollIntervalMs)}`);
  }
  const compactionIntervalMs = input.compactionIntervalMs ?? EMBEDDED_DEFAULTS.compactionIntervalMs;
  if (!Number.isInteger(compactionIntervalMs) || compactionIntervalMs < 0) {
    problems.push(`compactionIntervalMs must be a non-negative integer, got ${String(compactionIntervalMs)}`);
  }
  const retentionMs = input.retentionMs ?? EMBEDDED_DEFAULTS.retentionMs;
  if (!isRetentionMs(retentionMs)) {
    problems.push(`retentionMs must be a positive integer, or -1 to keep records forever, got ${String(retentionMs)}`);
  }
  if (problems.length > 0) {
    throw new TypeError(`Invalid embedded transport options: ${problems.join('; ')}`);
  }
  return Object.freeze({ dataDir: input.dataDir as string, synchronous, pollIntervalMs, compactionIntervalMs, retentionMs });
}
