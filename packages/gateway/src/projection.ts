/**
 * Feeds the read model and the registry from the bus.
 *
 * Each gateway instance reads `events` and `definitions` in consumer groups of its own
 * (`<prefix>gateway.<instanceId>` and `….definitions`), from the earliest offset and without
 * ever committing, so every gateway sees every record and a restart rebuilds the projection.
 *
 * Readiness: at start we measure the end offsets of both topics; the projection is caught up once
 * every partition has been consumed up to them. An undecodable record is dead-lettered (with the
 * reason and its origin in headers) and skipped, so one bad record never stalls the stream.
 */
import { decodeEvent, decodeRegistered } from '@orchestrator-lite/core';
import { deadLetter } from '@orchestrator-lite/transport';
import type { ConsumedRecord, Consumer, Transport } from '@orchestrator-lite/transport';
import type { Logger } from 'pino';
import type { TopicNames } from '@orchestrator-lite/core';
import type { ReadModel } from './read-model.js';
import type { WorkflowRegistry } from './registry.js';
import type { GatewayMetrics } from './metrics.js';

export interface ProjectionDeps {
  transport: Transport;
  names: TopicNames;
  groupPrefix: string;
  readModel: ReadModel;
  registry: WorkflowRegistry;
  metrics: GatewayMetrics;
  logger: Logger;
}

/** Per-partition progress of one topic against the end offsets measured at start. */
class CatchUp {
  private readonly consumed: number[];
  private readonly waiters = new Set<() => void>();
  constructor(private readonly target: readonly number[]) {
    this.consumed = target.map(() => 0);
  }
  record(partition: number, offset: number): void {
    if (offset + 1 > (this.consumed[partition] ?? 0)) this.consumed[partition] = offset + 1;
    if (this.waiters.size > 0 && this.done) {
      for (const wake of this.waiters) wake();
      this.waiters.clear();
    }
  }
  /** Whether `offset` was appended after the end offsets measured at start. */
  isLive(partition: number, offset: number): boolean {
    return offset >= (this.target[partition] ?? 0);
  }
  get done(): boolean {
    return this.target.every((end, p) => (this.consumed[p] ?? 0) >= end);
  }
  /** True once caught up; false if `timeoutMs` passes first. */
  wait(timeoutMs: number): Promise<boolean> {
    if (this.done) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.waiters.add(wake);
    });
  }
}

export class Projection {
  private readonly consumers: Consumer[] = [];
  private eventsCatchUp: CatchUp | undefined;
  private definitionsCatchUp: CatchUp | undefined;
  private failure: Error | undefined;

  constructor(private readonly deps: ProjectionDeps) {}

  async start(): Promise<void> {
    const { transport, names, groupPrefix, readModel } = this.deps;
    const [eventEnds, definitionEnds] = await Promise.all([transport.endOffsets(names.events), transport.endOffsets(names.definitions)]);
    readModel.setPartitionCount(eventEnds.length);
    this.eventsCatchUp = new CatchUp(eventEnds);
    this.definitionsCatchUp = new CatchUp(definitionEnds);
    this.consumers.push(
      await transport.subscribe({
        groupId: `${groupPrefix}.definitions`,
        topics: [names.definitions],
        from: 'earliest',
        onBatch: (records) => this.onDefinitions(records),
        onError: (error) => this.onError('definitions', error),
      }),
    );
    this.consumers.push(
      await transport.subscribe({
        groupId: groupPrefix,
        topics: [names.events],
        from: 'earliest',
        maxBatch: 500,
        onBatch: (records) => this.onEvents(records),
        onError: (error) => this.onError('events', error),
      }),
    );
  }

  /** True once both topics have been consumed up to their end offsets measured at start. */
  get ready(): boolean {
    return this.failure === undefined && (this.eventsCatchUp?.done ?? false) && (this.definitionsCatchUp?.done ?? false);
  }

  /**
   * Waits (bounded) until the registry has caught up (`definitions`) or both projections have
   * (`all`). Writes that depend on what is already on the bus (the next version number, an
   * idempotent start) wait for it rather than act on a partial picture after a restart.
   */
  async whenCaughtUp(what: 'definitions' | 'all', timeoutMs: number): Promise<boolean> {
    const definitions = this.definitionsCatchUp;
    const events = this.eventsCatchUp;
    if (definitions === undefined || events === undefined) return false;
    const [d, e] = await Promise.all([definitions.wait(timeoutMs), what === 'all' ? events.wait(timeoutMs) : Promise.resolve(true)]);
    return d && e && this.failure === undefined;
  }

  /** The consumer error that stopped the projection, if any. */
  get error(): Error | undefined {
    return this.failure;
  }

  async close(): Promise<void> {
    const consumers = this.consumers.splice(0);
    await Promise.allSettled(consumers.map((c) => c.close()));
  }

  private onError(topic: string, error: Error): void {
    this.failure = error;
    this.deps.logger.error({ err: error, topic }, 'read model consumer failed');
  }

  private async onEvents(records: ConsumedRecord[]): Promise<void> {
    const { readModel, metrics, names } = this.deps;
    const bad: { record: ConsumedRecord; reason: string }[] = [];
    for (const record of records) {
      metrics.eventsConsumed.inc({ topic: names.events });
      try {
        if (record.value === null) throw new Error('null value (tombstone) on the events topic');
        const event = decodeEvent(record.value);
        if (readModel.ingest(event, record.partition, record.offset)) {
          metrics.observeEvent(event, readModel.getRun(event.runId), this.eventsCatchUp?.isLive(record.partition, record.offset) ?? false);
        }
      } catch (error) {
        readModel.advance(record.partition, record.offset);
        bad.push({ record, reason: reasonOf(error) });
      }
      this.eventsCatchUp?.record(record.partition, record.offset);
    }
    await this.deadLetterAll(bad);
  }

  private async onDefinitions(records: ConsumedRecord[]): Promise<void> {
    const { registry, metrics, names } = this.deps;
    const bad: { record: ConsumedRecord; reason: string }[] = [];
    for (const record of records) {
      metrics.eventsConsumed.inc({ topic: names.definitions });
      try {
        if (record.value === null) {
          const at = record.key.lastIndexOf('@');
          const version = Number(record.key.slice(at + 1));
          if (at > 0 && Number.isInteger(version)) registry.remove(record.key.slice(0, at), version);
        } else {
          registry.put(decodeRegistered(record.value));
        }
      } catch (error) {
        bad.push({ record, reason: reasonOf(error) });
      }
      this.definitionsCatchUp?.record(record.partition, record.offset);
    }
    await this.deadLetterAll(bad);
  }

  /**
   * A failed dead-letter write is logged, not rethrown: rethrowing would stop the consumer, and
   * the record's content is in the log line.
   */
  private async deadLetterAll(bad: { record: ConsumedRecord; reason: string }[]): Promise<void> {
    if (bad.length === 0) return;
    const { transport, names, metrics, logger } = this.deps;
    const out = bad.map(({ record, reason }) => {
      // Records of `events` are keyed by runId: name the run so its log lines can be found.
      const run = record.topic === names.events ? { runId: record.key } : {};
      logger.warn({ ...run, topic: record.topic, partition: record.partition, offset: record.offset, reason }, 'undecodable record sent to the dead-letter topic');
      metrics.dlqRecords.inc({ topic: record.topic });
      // The shared dead-letter shape, plus the origin split into plain headers for tooling.
      const produced = deadLetter(record, reason, names.dlq);
      produced.headers = {
        ...produced.headers,
        reason: reason.slice(0, 1000),
        sourceTopic: record.topic,
        sourcePartition: String(record.partition),
        sourceOffset: String(record.offset),
      };
      return produced;
    });
    try {
      await transport.produce(out);
    } catch (error) {
      logger.error({ err: error, records: out.length }, 'could not write to the dead-letter topic');
    }
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
