/**
 * Feeds the read store and the registry from the bus.
 *
 * Events: a consumer group named after the store (`<prefix>gateway.store.<storeId>`) reads
 * `events`; each partition batch is written to the store together with the partition's next
 * offset, in one transaction, and its accepted events go to live subscribers as the store allows
 * (`ReadStore.applyBatch`: within the transaction of a store on this thread, else after its
 * commit), never before a query of this thread could find them there. The bus commit only says
 * where to start reading: the store's checkpoint is the truth, and a record below it is skipped.
 * So it is made in the background (`LazyCommit`), about once a second, and a restart reads again
 * at most that last second of events, which it skips. Several gateways that share one store
 * (PostgreSQL) share that group and split the partitions between them; gateways that only read
 * (`write: false`) follow the store instead (`StoreTail`).
 *
 * Definitions: a group of this instance's own reads the small compacted `definitions` topic from
 * the start into the in-memory registry.
 *
 * Readiness: at start we measure the end offsets of both topics; the gateway is caught up once the
 * store holds every event below them and the registry every definition. An undecodable record is
 * dead-lettered (with the reason and its origin in headers) and skipped.
 */
import { decodeEvent, decodeRegistered, errorMessage } from '@orchestrator-lite/core';
import { deadLetter } from '@orchestrator-lite/transport';
import type { ConsumedRecord, Consumer, Transport } from '@orchestrator-lite/transport';
import type { Logger } from 'pino';
import type { TopicNames } from '@orchestrator-lite/core';
import type { ReadModel } from './read-model.js';
import type { WorkflowRegistry } from './registry.js';
import type { GatewayMetrics } from './metrics.js';
import type { IncomingRecord } from './store/types.js';
import { CatchUp } from './catch-up.js';
import { StoreTail } from './store/store-tail.js';
import { LazyCommit } from './lazy-commit.js';

export interface ProjectionDeps {
  transport: Transport;
  names: TopicNames;
  /** This instance's group prefix (`<prefix>gateway.<instanceId>`), for `definitions`. */
  groupPrefix: string;
  /** The group that writes the store (`<prefix>gateway.store.<storeId>`). */
  storeGroup: string;
  /** Whether this gateway writes the store (else it follows what other gateways write). */
  write: boolean;
  /** How often a following gateway polls the store when it is not woken. @default 500 */
  tailIntervalMs?: number;
  readModel: ReadModel;
  registry: WorkflowRegistry;
  metrics: GatewayMetrics;
  logger: Logger;
}

type BadRecord = { record: ConsumedRecord; reason: string };

export class Projection {
  private readonly consumers: Consumer[] = [];
  private eventsConsumer: Consumer | undefined;
  private tail: StoreTail | undefined;
  private eventsCatchUp: CatchUp | undefined;
  private definitionsCatchUp: CatchUp | undefined;
  private failure: Error | undefined;
  private readonly commits: LazyCommit;

  constructor(private readonly deps: ProjectionDeps) {
    // The store's checkpoint is what counts; the next owner skips what the store already holds.
    this.commits = new LazyCommit(
      () => this.eventsConsumer,
      deps.names.events,
      (error, partitions) => deps.logger.debug({ err: error, partitions }, 'could not commit the read store offset to the bus'),
    );
  }

  async start(): Promise<void> {
    const { transport, names, groupPrefix, readModel } = this.deps;
    const [eventEnds, definitionEnds, checkpoint] = await Promise.all([
      transport.endOffsets(names.events),
      transport.endOffsets(names.definitions),
      readModel.store.checkpoint(),
    ]);
    readModel.setPartitionCount(eventEnds.length);
    this.eventsCatchUp = new CatchUp(eventEnds);
    this.definitionsCatchUp = new CatchUp(definitionEnds);
    checkpoint.forEach((next, p) => {
      readModel.advance(p, next);
      this.eventsCatchUp?.reach(p, next);
    });
    this.consumers.push(
      await transport.subscribe({
        groupId: `${groupPrefix}.definitions`,
        topics: [names.definitions],
        from: 'earliest',
        onBatch: (records) => this.onDefinitions(records),
        onError: (error) => this.onError('definitions', error),
      }),
    );
    if (this.deps.write) {
      this.eventsConsumer = await transport.subscribe({
        groupId: this.deps.storeGroup,
        topics: [names.events],
        from: 'earliest',
        maxBatch: 500,
        onBatch: (records) => this.onEvents(records),
        onRevoke: () => this.commits.flush(),
        onError: (error) => this.onError('events', error),
      });
      this.consumers.push(this.eventsConsumer);
    }
    // With a shared store, partitions this gateway does not write (all of them when it only
    // reads) come from the store, as other gateways commit them.
    if (readModel.store.kind !== 'postgres') return;
    this.tail = new StoreTail({
      store: readModel.store,
      readModel,
      intervalMs: this.deps.tailIntervalMs ?? 500,
      owned: () => (this.eventsConsumer === undefined ? [] : this.eventsConsumer.assignments().map((tp) => tp.partition)),
      onCommitted: (partition, next) => this.eventsCatchUp?.reach(partition, next),
      onError: (error) => this.deps.logger.warn({ err: error }, 'could not follow the read store'),
    });
    this.tail.start();
  }

  /** True once both topics have been consumed up to their end offsets measured at start. */
  get ready(): boolean {
    return this.failure === undefined && this.caughtUp && (this.definitionsCatchUp?.done ?? false);
  }

  /** True once the store holds every event that was on the bus at start. */
  get caughtUp(): boolean {
    return this.eventsCatchUp?.done ?? false;
  }

  /**
   * Waits (bounded) until the registry has caught up (`definitions`) or both projections have
   * (`all`). Writes that depend on what is already on the bus (the next version number, an
   * idempotent start) wait for it rather than act on a partial picture.
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
    await this.tail?.stop();
    await this.commits.flush();
    const consumers = this.consumers.splice(0);
    await Promise.allSettled(consumers.map((c) => c.close()));
  }

  private onError(topic: string, error: Error): void {
    this.failure = error;
    this.deps.logger.error({ err: error, topic }, 'read model consumer failed');
  }

  private async onEvents(records: ConsumedRecord[]): Promise<void> {
    const { readModel, metrics, names, logger } = this.deps;
    const first = records[0];
    const last = records.at(-1);
    if (first === undefined || last === undefined) return;
    const partition = first.partition;
    const bad: BadRecord[] = [];
    metrics.eventsConsumed.inc({ topic: names.events }, records.length);
    const incoming: IncomingRecord[] = records.map((record) => {
      try {
        if (record.value === null) throw new Error('null value (tombstone) on the events topic');
        return { offset: record.offset, event: decodeEvent(record.value) };
      } catch (error) {
        bad.push({ record, reason: errorMessage(error) });
        return { offset: record.offset, event: undefined };
      }
    });
    const next = last.offset + 1;
    const result = await readModel.store.applyBatch(partition, incoming, next, (accepted) => readModel.publishEvents(accepted));
    if (result.applied) {
      for (const { event, error } of result.projectionErrors) {
        logger.warn({ err: error, runId: event.runId, seq: event.seq, type: event.type }, 'event could not be applied to the run view');
      }
      if (result.expired > 0) logger.debug({ partition, events: result.expired }, 'late events of expired runs dropped');
      readModel.advance(partition, next);
      this.tail?.notifyWritten();
      await this.deadLetterAll(bad);
    }
    this.eventsCatchUp?.reach(partition, next);
    this.commits.note(partition, next);
  }

  private async onDefinitions(records: ConsumedRecord[]): Promise<void> {
    const { registry, metrics, names } = this.deps;
    const bad: BadRecord[] = [];
    metrics.eventsConsumed.inc({ topic: names.definitions }, records.length);
    for (const record of records) {
      try {
        if (record.value === null) {
          registry.removeKey(record.key);
        } else {
          registry.put(decodeRegistered(record.value));
        }
      } catch (error) {
        bad.push({ record, reason: errorMessage(error) });
      }
      this.definitionsCatchUp?.reach(record.partition, record.offset + 1);
    }
    await this.deadLetterAll(bad);
  }

  /**
   * A failed dead-letter write is logged, not rethrown: rethrowing would stop the consumer, and
   * the record's content is in the log line.
   */
  private async deadLetterAll(bad: BadRecord[]): Promise<void> {
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
