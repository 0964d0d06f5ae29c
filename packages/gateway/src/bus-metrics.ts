/**
 * Metrics that come from the bus itself, measured on scrape through the Transport interface and
 * cached for `cacheMs`, so frequent scrapes (or several gauges in one scrape) cost one round of
 * offset queries:
 *
 * - `orch_dlq_records`: records ever written to the dead-letter topic (sum of its end offsets);
 * - `orch_queue_lag{queue}`: tasks not yet consumed by the queue's workers, i.e. the sum over the
 *   partitions of `endOffsets(tasks.<queue>) - committedOffsets(<prefix>workers.<queue>)`. This is
 *   the signal to scale workers on: it grows when tasks arrive faster than workers finish them.
 *   Workers commit up to their lowest unfinished task, so tasks in progress count as lag;
 * - `orch_bus_metrics_up`: 1 when the last measurement fully succeeded, else 0 (the failed
 *   series are left out rather than reported stale);
 * - `orch_bus_writes_total`, `orch_bus_write_records_total`, `orch_bus_write_requests_total`,
 *   `orch_bus_write_wait_seconds_total`, `orch_bus_write_request_seconds_total`: the bus's writes
 *   by every role of this process that shares the gateway's transport (Transport.writeStats),
 *   and by those that write with a client of their own (`writesFrom`), read at each scrape
 *   without a query. Their rates give the mean wait of a write for its request and the mean
 *   time of a request (a Kafka produce, an embedded group commit).
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { TopicNames } from '@orchestrator-lite/core';
import { addWriteStats, withTimeout } from '@orchestrator-lite/transport';
import type { Transport, WriteStats } from '@orchestrator-lite/transport';
import type { WriteStatsSource } from './options.js';

export interface BusMetricsSource {
  transport: Transport;
  /** Roles of this process that write to the bus with a client of their own. @default [] */
  writesFrom?: readonly WriteStatsSource[];
  names: TopicNames;
  /** Worker consumer groups are named `${topicPrefix}workers.${queue}`. */
  topicPrefix: string;
  /** How long one measurement is reused. 0: every collection measures again. */
  cacheMs: number;
  /** A measurement that takes longer is abandoned and counts as failed. @default 5000 */
  timeoutMs?: number;
  logger?: Logger;
  /** @default Date.now */
  now?: () => number;
}

export interface BusSnapshot {
  dlq: number | undefined;
  lag: ReadonlyMap<string, number>;
  ok: boolean;
}

/** Sum over partitions of end - committed; a partition with no commit (-1) lags by its whole log. */
export function queueLag(endOffsets: readonly number[], committed: readonly number[]): number {
  let lag = 0;
  endOffsets.forEach((end, p) => {
    lag += Math.max(0, end - Math.max(0, committed[p] ?? -1));
  });
  return lag;
}

export class BusMetrics {
  private cached: { at: number; value: Promise<BusSnapshot> } | undefined;

  constructor(
    private readonly source: BusMetricsSource,
    private readonly queues: Iterable<string>,
  ) {}

  /** The current measurement, from the cache when it is fresh enough. */
  snapshot(): Promise<BusSnapshot> {
    const now = (this.source.now ?? Date.now)();
    if (this.cached !== undefined && now - this.cached.at < this.source.cacheMs) return this.cached.value;
    const value = this.measure();
    this.cached = { at: now, value };
    return value;
  }

  private async measure(): Promise<BusSnapshot> {
    const { transport, names, topicPrefix, logger } = this.source;
    const timeoutMs = this.source.timeoutMs ?? 5000;
    let ok = true;
    const fail = (what: string, error: unknown): void => {
      ok = false;
      logger?.warn({ err: error, what }, 'could not measure a bus metric');
    };
    const dlqTask = withTimeout(transport.endOffsets(names.dlq), timeoutMs, 'dlq end offsets').then(
      (ends) => ends.reduce((a, b) => a + b, 0),
      (error: unknown) => fail(names.dlq, error),
    );
    const lag = new Map<string, number>();
    const lagTasks = [...this.queues].map(async (queue) => {
      const topic = names.tasks(queue);
      try {
        const [ends, committed] = await withTimeout(
          Promise.all([transport.endOffsets(topic), transport.committedOffsets(`${topicPrefix}workers.${queue}`, topic)]),
          timeoutMs,
          `offsets of ${topic}`,
        );
        lag.set(queue, queueLag(ends, committed));
      } catch (error) {
        fail(topic, error);
      }
    });
    const [dlq] = await Promise.all([dlqTask, ...lagTasks]);
    return { dlq: typeof dlq === 'number' ? dlq : undefined, lag, ok };
  }

  register(registry: Registry): void {
    const snapshot = (): Promise<BusSnapshot> => this.snapshot();
    new Gauge({
      name: 'orch_dlq_records',
      help: 'Records written to the dead-letter topic (sum of its end offsets)',
      registers: [registry],
      async collect() {
        const s = await snapshot();
        if (s.dlq !== undefined) this.set(s.dlq);
      },
    });
    new Gauge({
      name: 'orch_queue_lag',
      help: 'Tasks of a queue not yet consumed by its workers (end offsets minus committed offsets, summed over partitions); scale workers on it',
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        const s = await snapshot();
        this.reset();
        for (const [queue, lag] of s.lag) this.set({ queue }, lag);
      },
    });
    this.registerWrites(registry);
    new Gauge({
      name: 'orch_bus_metrics_up',
      help: '1 when the last measurement of the bus metrics (queue lag, dead-letter size) succeeded, else 0',
      registers: [registry],
      async collect() {
        this.set((await snapshot()).ok ? 1 : 0);
      },
    });
  }

  /** The bus's writes, read from the transport (and `writesFrom`) at scrape time: running totals need no query. */
  private registerWrites(registry: Registry): void {
    const { transport, writesFrom = [] } = this.source;
    // The counters of one scrape, collected together, share one reading (one message to a thread).
    let reading: Promise<WriteStats> | undefined;
    const read = async (): Promise<WriteStats> => addWriteStats([transport.writeStats(), ...(await Promise.all(writesFrom.map((source) => source.writeStats())))]);
    const writes = (): Promise<WriteStats> => (reading ??= read().finally(() => (reading = undefined)));
    const totals: [name: string, help: string, value: (s: WriteStats) => number][] = [
      ['orch_bus_writes_total', 'Writes to the bus (produce calls and commits with records) by the roles of this process', (s) => s.writes],
      ['orch_bus_write_records_total', 'Records those writes carried', (s) => s.records],
      ['orch_bus_write_requests_total', 'Requests that carried them: Kafka produce requests, embedded group commits', (s) => s.requests],
      ['orch_bus_write_wait_seconds_total', "Time the writes waited for their request (over the writes; divide by orch_bus_writes_total for the mean)", (s) => s.queuedMs / 1000],
      ['orch_bus_write_request_seconds_total', 'Time the requests took to be acknowledged (over the requests; divide by orch_bus_write_requests_total for the mean)', (s) => s.requestMs / 1000],
    ];
    for (const [name, help, value] of totals) {
      new Counter({
        name,
        help,
        registers: [registry],
        async collect() {
          // A running total of the transports': the counter takes its value.
          const stats = await writes();
          this.reset();
          this.inc(value(stats));
        },
      });
    }
  }
}
