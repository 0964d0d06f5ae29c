import { awaitsChild, decodeRunInput, encodeMessage, errorMessage, reduceRun, seededRandom, TASK_PRIORITIES, topicNames } from '@orchestrator-lite/core';
import type { InputStretch, ReduceResult, RunEvent, RunInput, RunState, RunStatus, StartChildRun, TopicNames } from '@orchestrator-lite/core';
import { deadLetter, PayloadStore, provisionTopics } from '@orchestrator-lite/transport';
import type { ConsumedRecord, Consumer, OffsetCommit, ProduceRecord, TopicPartition, Transport } from '@orchestrator-lite/transport';
import type { Logger } from 'pino';
import { compileOrchestratorOptions } from './options.js';
import type { CompiledOrchestratorOptions, OrchestratorOptions } from './options.js';
import { DefinitionPool } from './definition-pool.js';
import { firedKey, PartitionOwner } from './partition-owner.js';
import { expiredPayloadWrites, expiredRunWrites } from './retention.js';
import { DefinitionCatalog } from './definition-catalog.js';
import { childStart } from './child-start.js';
import { encodeOutputs, isCompletion, oversizedCompletion } from './record-limit.js';
import type { EncodedOutputs } from './record-limit.js';
import { adoptChildOutput, PayloadCache, reduceCachedInput, reduceInput, reduceWithPayloads } from './payload-cache.js';
import { applyGateInput, isGateCommand } from './gates.js';
import { extendLast, inputSource, ReplayOrder } from './input-order.js';
import { BatchWriter } from './batch-writer.js';
import { DueTimers } from './due-timers.js';

export interface OrchestratorHandle {
  readonly instanceId: string;
  /** The partition count of the co-partitioned topics. */
  readonly partitions: number;
  /** The partitions this instance owns now. */
  ownedPartitions(): number[];
  /** The number of runs this instance owns: in flight, and ended but retained. */
  runCount(): number;
  /** The number of runs held whole in memory: the ones in flight. */
  heldRunCount(): number;
  /** The in-memory state of a run in flight this instance owns, for tests and diagnostics. */
  getRun(runId: string): RunState | undefined;
  /** The status of a run this instance owns, in flight or ended and retained. */
  runStatus(runId: string): RunStatus | undefined;
  close(): Promise<void>;
}

/** Runs tombstoned per partition per retention sweep. */
const RETENTION_SLICE = 500;

/** What the inputs of one batch write, and the runs and gates they changed. */
interface BatchOutputs {
  produce: ProduceRecord[];
  /** The runs the batch changed: their snapshots are written after its outputs. */
  touched: Set<string>;
  queues: Set<string>;
  gates: Set<string>;
}

/** An input applied: the reducer's result and, when the run's state changed, its outputs encoded (within the record limit). */
interface Transition {
  result: ReduceResult;
  encodings?: EncodedOutputs;
}

/** Whether a value is a promise (else the value itself, which needs no wait). */
function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return value instanceof Promise;
}

/**
 * The control plane. For each owned partition p it loops: consume an input from `commands/p` or
 * `results/p`, apply it with the pure reducer, then produce the events, tasks and control
 * messages, then the new snapshot to `state` together with the input offsets.
 *
 * The loop is at-least-once: each snapshot records the highest offset applied per input source
 * (`applied`). A redelivered input at or below that offset is skipped, so a replay changes
 * nothing; events re-emitted by a crash between outputs and snapshot carry the same seq and are
 * dropped by readers. That only holds if the snapshot never gets ahead of the outputs it
 * accounts for, so they are two writes (see `BatchWriter.write`).
 */
export async function startOrchestrator(options: OrchestratorOptions): Promise<OrchestratorHandle> {
  const o = compileOrchestratorOptions(options);
  const names = topicNames(o.topicPrefix);
  const partitions = await provisionTopics(o.transport, names, { partitions: o.partitions });
  const orchestrator = new Orchestrator(o, names, partitions);
  await orchestrator.subscribe();
  return orchestrator.handle();
}

class Orchestrator {
  readonly #owners = new Map<number, PartitionOwner>();
  readonly #definitions = new DefinitionPool();
  readonly #knownQueues = new Set<string>();
  readonly #log: Logger | undefined;
  readonly #transport: Transport;
  readonly #groupId: string;
  readonly #catalog: DefinitionCatalog;
  readonly #payloadStore: PayloadStore;
  readonly #payloads: PayloadCache;
  readonly #writer: BatchWriter;
  readonly #timers: DueTimers;
  readonly #retentionSweep: NodeJS.Timeout;
  /** Delivery may begin before subscribe() resolves: batches wait for the consumer handle. */
  readonly #ready = Promise.withResolvers<Consumer>();
  #consumer: Consumer | undefined;
  #sweeping = false;
  #closed = false;

  constructor(
    private readonly o: Readonly<CompiledOrchestratorOptions>,
    private readonly names: TopicNames,
    private readonly partitions: number,
  ) {
    this.#log = o.logger;
    this.#transport = o.transport;
    this.#groupId = `${o.topicPrefix}orchestrator`;
    this.#catalog = new DefinitionCatalog(o.transport, names.definitions);
    this.#payloadStore = new PayloadStore(o.transport, { topic: names.payloads });
    this.#payloads = new PayloadCache(this.#payloadStore);
    this.#writer = new BatchWriter({ definitions: this.#definitions, commandsTopic: names.commands, stateTopic: names.state, log: o.logger, closed: () => this.#closed });
    this.#timers = new DueTimers(this.#owners, o.transport, names.commands, o.clock, o.logger);
    this.#retentionSweep = setInterval(() => this.sweep(), o.retentionSweepMs);
    this.#retentionSweep.unref();
  }

  async subscribe(): Promise<void> {
    this.#consumer = await this.#transport.subscribe({
      groupId: this.#groupId,
      topics: [this.names.commands, this.names.results],
      maxBatch: this.o.maxBatch,
      onAssign: (tps) => this.assign(tps),
      onRevoke: (tps) => this.revoke(tps),
      onBatch: (records) => this.deliver(records),
      onError: (error) => this.#log?.error({ err: error }, 'orchestrator consumer failed'),
    });
    this.#ready.resolve(this.#consumer);
  }

  handle(): OrchestratorHandle {
    const owners = this.#owners;
    return {
      instanceId: this.o.instanceId,
      partitions: this.partitions,
      ownedPartitions: () => [...owners.keys()].sort((a, b) => a - b),
      runCount: () => [...owners.values()].reduce((n, owner) => n + owner.runs.size + owner.finished.size, 0),
      heldRunCount: () => [...owners.values()].reduce((n, owner) => n + owner.runs.size, 0),
      runStatus: (runId) => {
        for (const owner of owners.values()) {
          const status = owner.runs.get(runId)?.status ?? owner.finished.get(runId)?.status;
          if (status) return status;
        }
        return undefined;
      },
      getRun: (runId) => {
        for (const owner of owners.values()) {
          const state = owner.runs.get(runId);
          if (state) return state;
        }
        return undefined;
      },
      close: () => this.close(),
    };
  }

  private async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timers.close();
    clearInterval(this.#retentionSweep);
    await this.#consumer?.close();
  }

  /** Partitions assigned: each restored from `orch.state`. */
  private async assign(tps: TopicPartition[]): Promise<void> {
    // One at a time: concurrent restores share one thread and all finish late (measured with bench/takeover-scale.mjs).
    for (const partition of partitionsOf(tps)) if (!this.#owners.has(partition)) await this.restorePartition(partition);
    this.#timers.schedule();
  }

  /** Partitions revoked: each stops applying, writes what it applied, and leaves memory. */
  private async revoke(tps: TopicPartition[]): Promise<void> {
    for (const partition of partitionsOf(tps)) {
      const owner = this.#owners.get(partition);
      if (!owner) continue;
      owner.revoked = true;
      owner.replay?.stop();
      await owner.drain();
      owner.childSpans.handOver();
      this.#owners.delete(partition);
      this.#log?.info({ partition }, 'partition revoked');
    }
  }

  private async deliver(records: ConsumedRecord[]): Promise<void> {
    const first = records[0];
    if (!first) return;
    const owner = this.#owners.get(first.partition);
    if (!owner) return;
    const consumer = await this.#ready.promise;
    await this.applyInOrder(owner, consumer, records);
  }

  /** A batch of one source, applied after every earlier one of the partition; while replaying, in the order the last owner followed. */
  private async applyInOrder(owner: PartitionOwner, consumer: Consumer, records: ConsumedRecord[]): Promise<void> {
    const source = this.sourceOf(records[0]!);
    for (let rest = records; rest.length > 0; ) {
      const replay = owner.replay;
      const n = replay?.ordering ? await replay.admit(source, rest) : rest.length;
      const chunk = n === rest.length ? rest : rest.slice(0, n);
      await owner.serialize(() => this.applyBatch(owner, consumer, chunk));
      replay?.applied(source, chunk.at(-1)!.offset);
      if (replay && !replay.ordering && owner.replay === replay) owner.replay = undefined;
      rest = rest.slice(n);
    }
  }

  /** Applies each input of a batch with the reducer, then writes the outputs and queues the snapshot. */
  private async applyBatch(owner: PartitionOwner, consumer: Consumer, records: ConsumedRecord[]): Promise<void> {
    if (owner.revoked) return;
    const out: BatchOutputs = { produce: [], touched: new Set(), queues: new Set(), gates: new Set() };
    for (const record of records) {
      const source = this.sourceOf(record);
      const input = this.admit(owner, record, source, out);
      if (input === undefined) continue;
      let previous = owner.runs.get(input.runId);
      if (previous === undefined && owner.finished.has(input.runId)) {
        previous = await this.reopen(owner, input);
        if (previous === undefined) continue;
      }
      const appliedUpTo = previous?.applied?.[source];
      if (appliedUpTo !== undefined && record.offset <= appliedUpTo) continue; // a replayed input
      let applying: RunInput | undefined = input;
      if (input.type === 'StartChildRun') applying = await this.childStartOf(owner, previous, input, out);
      if (applying === undefined) continue;
      // A child's output is the parent's step output from now on: its payloads become the parent's.
      if (applying.type === 'ChildRunEnded' && previous !== undefined && awaitsChild(previous, applying)) applying = await adoptChildOutput(this.#payloadStore, applying);
      // Awaited only when it must be: a payload to fetch, a record over the limit.
      const pending = this.transition(record, applying, previous, out);
      const transition = isPromise(pending) ? await pending : pending;
      if (transition === undefined) continue;
      const { result } = transition;
      const state = result.state;
      if (state === undefined || (state === previous && result.events.length === 0)) {
        this.ignored(applying, previous);
        continue;
      }
      const next = this.advance(owner, record, source, previous, state);
      this.queueOutputs(owner, applying, next, result, transition.encodings ?? encodeOutputs(result), out);
    }
    await this.ensureQueues(out.queues);
    // A replay follows the stretches the last owner recorded, which this owner's record starts with.
    if (!owner.replay?.ordering) owner.appliedOrder.applied(this.sourceOf(records[0]!), records.at(-1)!.offset);
    await this.#writer.write(owner, consumer, out.touched, out.gates, nextOffsets(records), out.produce);
    this.#timers.schedule();
  }

  /**
   * A record's input, when it is one the partition's runs apply; undefined when it is taken care of
   * here: undecodable or misaddressed (dead-lettered), or a gate's command (applied to the gate).
   */
  private admit(owner: PartitionOwner, record: ConsumedRecord, source: string, out: BatchOutputs): RunInput | undefined {
    let input: RunInput;
    try {
      input = decodeRunInput(record.value);
    } catch (error) {
      const reason = errorMessage(error);
      this.#log?.warn({ topic: record.topic, partition: record.partition, offset: record.offset, reason }, 'undecodable input dead-lettered');
      out.produce.push(deadLetter(record, reason, this.names.dlq));
      return undefined;
    }
    if (input.runId !== record.key) {
      out.produce.push(deadLetter(record, `record key ${record.key} does not match runId ${input.runId}`, this.names.dlq));
      return undefined;
    }
    if (input.type === 'TimerFired') owner.fired.delete(firedKey(input.runId, input.timerId));
    if (!isGateCommand(input)) return input;
    const commands = applyGateInput(owner, input, source, record.offset, this.o.clock());
    if (commands === undefined) return undefined;
    out.gates.add(input.runId);
    for (const command of commands) out.produce.push({ topic: this.names.commands, key: command.runId, value: encodeMessage(command) });
    return undefined;
  }

  /** An ended run that an input reaches: only a retry applies (a StartRun of the same id is a duplicate), to the run read back whole. */
  private async reopen(owner: PartitionOwner, input: RunInput): Promise<RunState | undefined> {
    if (input.type !== 'RetryRun') return undefined;
    const state = await owner.reload(this.#transport, this.names.state, input.runId);
    if (state === undefined) return undefined;
    const held = this.#definitions.internRun(state);
    owner.finished.delete(input.runId);
    owner.runs.set(input.runId, held);
    return held;
  }

  /** The StartRun of a child, its workflow's definition fetched; undefined when there is nothing to start. */
  private async childStartOf(owner: PartitionOwner, previous: RunState | undefined, input: StartChildRun, out: BatchOutputs): Promise<RunInput | undefined> {
    // The child exists, or has ended and is retained: a replayed start changes nothing.
    if (previous || owner.finished.has(input.runId)) return undefined;
    const start = await childStart(this.#catalog, input);
    if (start.type !== 'ChildRunEnded') return start;
    this.#log?.warn({ runId: input.runId, parentRunId: input.parentRunId, workflow: input.workflow }, 'child workflow not found');
    out.produce.push({ topic: this.names.commands, key: start.runId, value: encodeMessage(start) });
    return undefined;
  }

  /** The input applied with the reducer; undefined when it was dead-lettered. */
  private transition(record: ConsumedRecord, input: RunInput, previous: RunState | undefined, out: BatchOutputs): Transition | undefined | Promise<Transition | undefined> {
    const randomOf = (): (() => number) => this.o.random ?? seededRandom(drawKey(input, record));
    const reduce = (i: RunInput): ReduceResult => reduceRun(previous, i, { now: this.o.clock(), random: randomOf() });
    const cached = reduceCachedInput(this.#payloads, input, reduce);
    if (cached !== undefined) return this.fit(record, input, previous, cached.result, randomOf, out);
    return reduceInput(this.#payloads, input, reduce).then((applied) => {
      if ('result' in applied) return this.fit(record, input, previous, applied.result, randomOf, out);
      this.#log?.warn({ runId: input.runId, type: input.type, reason: applied.unreadable.message }, 'input dead-lettered: a payload it needs cannot be read');
      out.produce.push(deadLetter(record, `${applied.unreadable.code}: ${applied.unreadable.message}`, this.names.dlq));
      return undefined;
    });
  }

  /** A result whose state changed, its outputs encoded; see `refit` for one over the record limit. */
  private fit(record: ConsumedRecord, input: RunInput, previous: RunState | undefined, result: ReduceResult, randomOf: () => () => number, out: BatchOutputs): Transition | undefined | Promise<Transition | undefined> {
    if (result.state === undefined || result.state === previous) return { result };
    const encodings = encodeOutputs(result);
    if (encodings.largest <= this.o.maxRecordBytes) return { result, encodings };
    return this.refit(record, input, previous, encodings.largest, randomOf, out);
  }

  /**
   * A transition that would write a record the broker refuses is never applied as is: a
   * completion becomes a non-retryable failure of its step; any other input is dead-lettered
   * (undefined).
   */
  private async refit(record: ConsumedRecord, input: RunInput, previous: RunState | undefined, bytes: number, randomOf: () => () => number, out: BatchOutputs): Promise<Transition | undefined> {
    const limit = this.o.maxRecordBytes;
    const oversized = isCompletion(input) ? oversizedCompletion(input, bytes, limit) : undefined;
    const failed = oversized && (await reduceWithPayloads(this.#payloads, () => reduceRun(previous, oversized, { now: this.o.clock(), random: randomOf() })));
    const encodings = failed && failed.state !== undefined ? encodeOutputs(failed) : undefined;
    if (!failed || encodings === undefined || encodings.largest > limit) {
      this.#log?.warn({ runId: input.runId, type: input.type, bytes, limit }, 'input dead-lettered: its outputs are too large');
      out.produce.push(deadLetter(record, `ORCH_PAYLOAD_TOO_LARGE: the transition would write a record of ${bytes} bytes, over the limit of ${limit}`, this.names.dlq));
      return undefined;
    }
    this.#log?.warn({ runId: input.runId, stepId: 'stepId' in input ? input.stepId : undefined, bytes, limit }, 'step output too large: the step fails');
    return { result: failed, encodings };
  }

  /** An input that changed nothing: for a run this orchestrator does not know, or a stale or duplicate result. */
  private ignored(input: RunInput, previous: RunState | undefined): void {
    if (!previous) this.#log?.debug({ runId: input.runId, type: input.type }, 'input for an unknown run ignored');
    else if ('attempt' in input) this.#log?.debug({ runId: input.runId, type: input.type, stepId: input.stepId, attempt: input.attempt }, 'stale or duplicate result ignored');
  }

  /** The run in its new state, held for the partition with the input's offset as applied. */
  private advance(owner: PartitionOwner, record: ConsumedRecord, source: string, previous: RunState | undefined, state: RunState): RunState {
    // A new run brings its definition: share it with the runs of the same workflow.
    const reduced = previous ? state : this.#definitions.internRun(state);
    const trace = previous ? previous.trace : traceOf(record);
    const next: RunState = {
      ...reduced,
      applied: { ...previous?.applied, [source]: record.offset },
      stateVersion: (previous?.stateVersion ?? 0) + 1,
      ...(trace === undefined ? {} : { trace }),
    };
    owner.runs.set(next.runId, next);
    owner.armTimers(next, previous);
    return next;
  }

  /** The transition's events, tasks, control messages and commands for other runs, queued for the batch's write. */
  private queueOutputs(owner: PartitionOwner, input: RunInput, next: RunState, result: ReduceResult, encoded: EncodedOutputs, out: BatchOutputs): void {
    const { names } = this;
    const { trace } = next;
    const { events, tasks, control, commands } = encoded;
    out.touched.add(next.runId);
    result.events.forEach((event, i) => {
      out.produce.push({ topic: names.events, key: event.runId, value: events[i]! });
      this.logEvent(event);
    });
    result.tasks.forEach((task, i) => {
      out.queues.add(task.queue);
      // The attempt is part of the key, so the retry of a step stuck on one worker lands anywhere.
      out.produce.push({ topic: names.tasks(task.queue, task.priority), key: task.idempotencyKey, value: tasks[i]!, ...(trace === undefined ? {} : { headers: trace }) });
    });
    result.control.forEach((message, i) => out.produce.push({ topic: names.control, key: message.runId, value: control[i]! }));
    if (input.type === 'ChildRunEnded') owner.childSpans.ended(input);
    // Commands for other runs: a child to start or cancel, a parent to tell that its child ended.
    result.commands.forEach((command, i) => {
      // A child run joins its parent's trace under the span of the step that starts it.
      const headers = command.type === 'StartChildRun' ? owner.childSpans.start(command, next.steps[command.parentStepId]?.attempts.at(-1)?.attempt, trace) : undefined;
      out.produce.push({ topic: names.commands, key: command.runId, value: commands[i]!, ...(headers === undefined ? {} : { headers }) });
    });
  }

  /** One info line per run start and end, a debug line per step event; each carries runId (and stepId). */
  private logEvent(event: RunEvent): void {
    const log = this.#log;
    if (!log) return;
    if (event.type === 'RunStarted' || event.type === 'RunSucceeded' || event.type === 'RunFailed' || event.type === 'RunCancelled') {
      const detail = event.type === 'RunFailed' ? { error: event.data.error.message } : event.type === 'RunStarted' ? { workflow: event.data.workflow } : {};
      log.info({ runId: event.runId, seq: event.seq, ...detail }, `run ${event.type.slice(3).toLowerCase()}`);
    } else if (log.isLevelEnabled('debug')) {
      const stepId = 'stepId' in event.data ? event.data.stepId : undefined;
      log.debug({ runId: event.runId, stepId, seq: event.seq, type: event.type }, event.type);
    }
  }

  private async ensureQueues(queues: Iterable<string>): Promise<void> {
    const missing = [...queues].filter((q) => !this.#knownQueues.has(q));
    if (missing.length === 0) return;
    await this.#transport.ensureTopics(missing.flatMap((q) => TASK_PRIORITIES.map((p) => ({ name: this.names.tasks(q, p), partitions: this.partitions }))));
    for (const q of missing) this.#knownQueues.add(q);
  }

  private sourceOf(tp: TopicPartition): string {
    return inputSource(this.names.commands, tp);
  }

  private async restorePartition(partition: number): Promise<void> {
    const owner = new PartitionOwner(partition, this.#definitions, async (self, batch) => this.#writer.writeSnapshot(self, await this.#ready.promise, batch), this.o.snapshotIntervalMs);
    const started = Date.now();
    const { read, orphans, order } = await owner.restore(this.#transport, this.names.state);
    if (order.length > 0) {
      owner.replay = await this.replayOrder(owner, order).catch((error: unknown) => {
        this.#log?.warn({ partition, err: error }, 'replay: the committed or end offsets could not be read; the inputs are applied as they come');
        return undefined;
      });
    }
    this.#owners.set(partition, owner);
    if (orphans.length > 0) this.#log?.warn({ partition, runs: orphans.slice(0, 10), count: orphans.length }, 'runs whose definition record is missing were not restored');
    this.#log?.info({ partition, runs: owner.runs.size, retained: owner.finished.size, recordsRead: read, ms: Date.now() - started }, 'partition assigned and restored');
  }

  /** The order the last owner applied its inputs in, from where this member's delivery starts (the committed offsets). */
  private async replayOrder(owner: PartitionOwner, stretches: InputStretch[]): Promise<ReplayOrder> {
    const { partition } = owner;
    const { commands, results } = this.names;
    const positions = new Map<string, number>();
    for (const topic of [commands, results]) {
      const committed = (await this.#transport.committedOffsets(this.#groupId, topic))[partition] ?? -1;
      positions.set(this.sourceOf({ topic, partition }), Math.max(0, committed));
    }
    // The last stretch goes on to the end of its source as it is now (see input-order.ts).
    const last = stretches.at(-1)!;
    const lastTopic = last.source === this.sourceOf({ topic: commands, partition }) ? commands : results;
    const followed = extendLast(stretches, (await this.#transport.endOffsets(lastTopic))[partition] ?? 0);
    this.#log?.info({ partition, stretches: followed.length }, 'replaying the inputs since the last snapshot in the order they were applied');
    // This owner's record starts with the stretches it follows; one that follows none records its own order only.
    owner.appliedOrder.seed(followed);
    return new ReplayOrder(followed, positions, (reason, next) => {
      this.#log?.warn({ partition, reason }, 'replay: the rest of the inputs are applied as they come');
      // This owner's record then says what it followed, and what it applies next as it comes.
      owner.appliedOrder.followedUpTo(next);
    });
  }

  /** Expires runs, one sweep at a time. */
  private sweep(): void {
    if (this.#sweeping || this.#closed) return;
    this.#sweeping = true;
    this.expireRuns()
      .catch((error: unknown) => this.#log?.warn({ err: error }, 'expiring runs failed; the next sweep tries again'))
      .finally(() => (this.#sweeping = false));
  }

  /** Tombstones the retained runs that ended more than `runRetentionMs` ago, a slice at a time. */
  private async expireRuns(): Promise<void> {
    const cutoff = this.o.clock() - this.o.runRetentionMs;
    for (const owner of this.#owners.values()) {
      await owner.serialize(async () => {
        if (owner.revoked || this.#closed) return;
        const writes = expiredRunWrites(owner, cutoff, RETENTION_SLICE);
        if (writes.records.length === 0) return;
        // Payloads first: a crash between the two writes leaves the runs to expire again, never a payload behind.
        const payloadTombstones = await expiredPayloadWrites(owner, this.#transport, this.names.state, this.#payloadStore, writes.runIds);
        if (payloadTombstones.length > 0) await this.#transport.produce(payloadTombstones);
        await this.#transport.produce(writes.records.map((w) => this.#writer.stateRecord(owner, w.key, null)));
        for (const runId of writes.runIds) owner.finished.delete(runId);
        this.#log?.info({ partition: owner.partition, runs: writes.runIds.length, payloadChunks: payloadTombstones.length }, 'expired runs tombstoned');
      });
    }
  }
}

const partitionsOf = (tps: TopicPartition[]): number[] => [...new Set(tps.map((tp) => tp.partition))].sort((a, b) => a - b);

/** The offsets to commit after a batch: each topic partition's next after its last record. */
function nextOffsets(records: readonly ConsumedRecord[]): OffsetCommit[] {
  const offsets = new Map<string, OffsetCommit>();
  for (const record of records) {
    const key = `${record.topic}/${record.partition}`;
    const current = offsets.get(key);
    if (!current || current.offset <= record.offset) {
      offsets.set(key, { topic: record.topic, partition: record.partition, offset: record.offset + 1 });
    }
  }
  return [...offsets.values()];
}

/**
 * What seeds the jitter drawn while applying an input: the input's identity, the same however
 * often it is applied — the attempt a result reports, the timer that fired (a new owner fires it
 * again as another record), else the input's position on the bus.
 */
function drawKey(input: RunInput, record: ConsumedRecord): string {
  if (input.type === 'TimerFired') return `${input.runId}/timer/${input.timerId}`;
  if ('attempt' in input) return `${input.runId}/${input.stepId}/${input.attempt}/${input.type}`;
  return `${record.topic}/${record.partition}/${record.offset}`;
}

/** The W3C trace context headers of the record that started a run, if it carried any. */
function traceOf(record: ConsumedRecord): Record<string, string> | undefined {
  const traceparent = record.headers.traceparent;
  if (traceparent === undefined) return undefined;
  const tracestate = record.headers.tracestate;
  return tracestate === undefined ? { traceparent } : { traceparent, tracestate };
}
