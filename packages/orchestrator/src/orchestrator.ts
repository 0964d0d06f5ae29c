import { awaitsChild, decodeRunInput, encodeMessage, reduceRun, seededRandom, snapshotKeys, snapshotWrites, TASK_PRIORITIES, TERMINAL_RUN_STATUSES, topicNames, withStateLayout } from '@orchestrator-lite/core';
import type { InputStretch } from '@orchestrator-lite/core';
import type { ReduceResult, RunEvent, RunInput, RunState, RunStatus, TimerFired } from '@orchestrator-lite/core';
import { chunkGroups, deadLetter, PayloadStore, provisionTopics, TransportError, TransportErrorReason } from '@orchestrator-lite/transport';
import type { ConsumedRecord, Consumer, OffsetCommit, ProduceRecord, TopicPartition } from '@orchestrator-lite/transport';
import { compileOrchestratorOptions } from './options.js';
import type { OrchestratorOptions } from './options.js';
import { DefinitionPool } from './definition-pool.js';
import { PartitionOwner } from './partition-owner.js';
import { expiredPayloadWrites, expiredRunWrites } from './retention.js';
import { DefinitionCatalog } from './definition-catalog.js';
import { childStart } from './child-start.js';
import { encodeOutputs, isCompletion, oversizedCompletion } from './record-limit.js';
import type { EncodedOutputs } from './record-limit.js';
import { adoptChildOutput, PayloadCache, reduceCachedInput, reduceInput, reduceWithPayloads } from './payload-cache.js';
import { applyGateInput, gateWrites, isGateCommand } from './gates.js';
import type { SnapshotBatch } from './snapshot-queue.js';
import { extendLast, ReplayOrder } from './input-order.js';

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

/** A run a snapshot ends, and whether that snapshot's header is all it has on `orch.state`. */
interface EndedRun {
  state: RunState;
  digest: string;
  headerOnly: boolean;
}

const COMMIT_RETRY_MS = [50, 100, 250, 500, 1000, 2000];
/** Runs tombstoned per partition per retention sweep. */
const RETENTION_SLICE = 500;

/**
 * The control plane. For each owned partition p it loops: consume an input from `commands/p` or
 * `results/p`, apply it with the pure reducer, then produce the events, tasks and control
 * messages, then the new snapshot to `state` together with the input offsets.
 *
 * The loop is at-least-once: each snapshot records the highest offset applied per input source
 * (`applied`). A redelivered input at or below that offset is skipped, so a replay changes
 * nothing; events re-emitted by a crash between outputs and snapshot carry the same seq and are
 * dropped by readers. That only holds if the snapshot never gets ahead of the outputs it
 * accounts for, so they are two writes (see `commitWithRetry`).
 */
export async function startOrchestrator(options: OrchestratorOptions): Promise<OrchestratorHandle> {
  const o = compileOrchestratorOptions(options);
  const log = o.logger;
  const names = topicNames(o.topicPrefix);
  const { transport } = o;
  const partitions = await provisionTopics(transport, names, { partitions: o.partitions });

  const owners = new Map<number, PartitionOwner>();
  const definitions = new DefinitionPool();
  const catalog = new DefinitionCatalog(transport, names.definitions);
  const payloadStore = new PayloadStore(transport, { topic: names.payloads });
  const payloads = new PayloadCache(payloadStore);
  const knownQueues = new Set<string>();
  let timerHandle: NodeJS.Timeout | undefined;
  let sweeping = false;
  const retentionSweep = setInterval(() => {
    if (sweeping || closed) return;
    sweeping = true;
    expireRuns()
      .catch((error: unknown) => log?.warn({ err: error }, 'expiring runs failed; the next sweep tries again'))
      .finally(() => (sweeping = false));
  }, o.retentionSweepMs);
  retentionSweep.unref();
  let timerDueAt = Infinity;
  let closed = false;

  /** One info line per run start and end, a debug line per step event; each carries runId (and stepId). */
  const logEvent = (event: RunEvent): void => {
    if (!log) return;
    if (event.type === 'RunStarted' || event.type === 'RunSucceeded' || event.type === 'RunFailed' || event.type === 'RunCancelled') {
      const detail = event.type === 'RunFailed' ? { error: event.data.error.message } : event.type === 'RunStarted' ? { workflow: event.data.workflow } : {};
      log.info({ runId: event.runId, seq: event.seq, ...detail }, `run ${event.type.slice(3).toLowerCase()}`);
    } else if (log.isLevelEnabled('debug')) {
      const stepId = 'stepId' in event.data ? event.data.stepId : undefined;
      log.debug({ runId: event.runId, stepId, seq: event.seq, type: event.type }, event.type);
    }
  };

  /** An input source: `commands/<p>` or `results/<p>`, as the `applied` watermarks name it. */
  const sourceOf = (tp: TopicPartition): string => `${tp.topic === names.commands ? 'commands' : 'results'}/${tp.partition}`;
  const groupId = `${o.topicPrefix}orchestrator`;

  async function ensureQueues(queues: Iterable<string>): Promise<void> {
    const missing = [...queues].filter((q) => !knownQueues.has(q));
    if (missing.length === 0) return;
    await transport.ensureTopics(missing.flatMap((q) => TASK_PRIORITIES.map((p) => ({ name: names.tasks(q, p), partitions }))));
    for (const q of missing) knownQueues.add(q);
  }

  async function applyBatch(owner: PartitionOwner, consumer: Consumer, records: ConsumedRecord[]): Promise<void> {
    if (owner.revoked) return;
    const produce: ProduceRecord[] = [];
    /** The runs the batch changed: their snapshots are written after its outputs. */
    const touched = new Set<string>();
    const queues = new Set<string>();
    const gates = new Set<string>();
    for (const record of records) {
      let input: RunInput;
      try {
        input = decodeRunInput(record.value);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        log?.warn({ topic: record.topic, partition: record.partition, offset: record.offset, reason }, 'undecodable input dead-lettered');
        produce.push(deadLetter(record, reason, names.dlq));
        continue;
      }
      if (input.runId !== record.key) {
        produce.push(deadLetter(record, `record key ${record.key} does not match runId ${input.runId}`, names.dlq));
        continue;
      }
      if (input.type === 'TimerFired') owner.fired.delete(`${input.runId}|${input.timerId}`);
      const source = sourceOf(record);
      if (isGateCommand(input)) {
        const commands = applyGateInput(owner, input, source, record.offset, o.clock());
        if (commands === undefined) continue;
        gates.add(input.runId);
        for (const command of commands) produce.push({ topic: names.commands, key: command.runId, value: encodeMessage(command) });
        continue;
      }
      let previous = owner.runs.get(input.runId);
      if (previous === undefined && owner.finished.has(input.runId)) {
        // An ended run: only a retry applies (a StartRun of the same id is a duplicate).
        if (input.type !== 'RetryRun') continue;
        previous = await owner.reload(transport, names.state, input.runId);
        if (previous === undefined) continue;
        previous = definitions.internRun(previous);
        owner.finished.delete(input.runId);
        owner.runs.set(input.runId, previous);
      }
      const appliedUpTo = previous?.applied?.[source];
      if (appliedUpTo !== undefined && record.offset <= appliedUpTo) continue; // a replayed input
      if (input.type === 'StartChildRun') {
        // The child exists, or has ended and is retained: a replayed start changes nothing.
        if (previous || owner.finished.has(input.runId)) continue;
        const start = await childStart(catalog, input);
        if (start.type === 'ChildRunEnded') {
          log?.warn({ runId: input.runId, parentRunId: input.parentRunId, workflow: input.workflow }, 'child workflow not found');
          produce.push({ topic: names.commands, key: start.runId, value: encodeMessage(start) });
          continue;
        }
        input = start;
      }

      // A child's output is the parent's step output from now on: its payloads become the parent's.
      if (input.type === 'ChildRunEnded' && previous !== undefined && awaitsChild(previous, input)) input = await adoptChildOutput(payloadStore, input);
      const randomOf = (): (() => number) => o.random ?? seededRandom(drawKey(input, record));
      const reduce = (i: RunInput): ReduceResult => reduceRun(previous, i, { now: o.clock(), random: randomOf() });
      const applied = reduceCachedInput(payloads, input, reduce) ?? (await reduceInput(payloads, input, reduce));
      if ('unreadable' in applied) {
        log?.warn({ runId: input.runId, type: input.type, reason: applied.unreadable.message }, 'input dead-lettered: a payload it needs cannot be read');
        produce.push(deadLetter(record, `${applied.unreadable.code}: ${applied.unreadable.message}`, names.dlq));
        continue;
      }
      let result = applied.result;
      let encodings: EncodedOutputs | undefined;
      if (result.state !== undefined && result.state !== previous) {
        // A transition that would write a record the broker refuses is never applied as is: a
        // completion becomes a non-retryable failure of its step; any other input is dead-lettered.
        encodings = encodeOutputs(result);
        const bytes = encodings.largest;
        if (bytes > o.maxRecordBytes) {
          const reason = `the transition would write a record of ${bytes} bytes, over the limit of ${o.maxRecordBytes}`;
          const oversized = isCompletion(input) ? oversizedCompletion(input, bytes, o.maxRecordBytes) : undefined;
          const failed = oversized && (await reduceWithPayloads(payloads, () => reduceRun(previous, oversized, { now: o.clock(), random: randomOf() })));
          encodings = failed && failed.state !== undefined ? encodeOutputs(failed) : undefined;
          if (!failed || encodings === undefined || encodings.largest > o.maxRecordBytes) {
            log?.warn({ runId: input.runId, type: input.type, bytes, limit: o.maxRecordBytes }, 'input dead-lettered: its outputs are too large');
            produce.push(deadLetter(record, `ORCH_PAYLOAD_TOO_LARGE: ${reason}`, names.dlq));
            continue;
          }
          log?.warn({ runId: input.runId, stepId: 'stepId' in input ? input.stepId : undefined, bytes, limit: o.maxRecordBytes }, 'step output too large: the step fails');
          result = failed;
        }
      }
      const changed = result.state !== undefined && (result.state !== previous || result.events.length > 0);
      if (!result.state || !changed) {
        if (!previous) log?.debug({ runId: input.runId, type: input.type }, 'input for an unknown run ignored');
        else if ('attempt' in input) log?.debug({ runId: input.runId, type: input.type, stepId: input.stepId, attempt: input.attempt }, 'stale or duplicate result ignored');
        continue;
      }
      // A new run brings its definition: share it with the runs of the same workflow.
      const reduced = previous ? result.state : definitions.internRun(result.state);
      const trace = previous ? previous.trace : traceOf(record);
      const next: RunState = {
        ...reduced,
        applied: { ...previous?.applied, [source]: record.offset },
        stateVersion: (previous?.stateVersion ?? 0) + 1,
        ...(trace === undefined ? {} : { trace }),
      };
      owner.runs.set(next.runId, next);
      owner.armTimers(next, previous);
      touched.add(next.runId);
      const { events, tasks, control, commands } = encodings ?? encodeOutputs(result);
      result.events.forEach((event, i) => {
        produce.push({ topic: names.events, key: event.runId, value: events[i]! });
        logEvent(event);
      });
      result.tasks.forEach((task, i) => {
        queues.add(task.queue);
        // The attempt is part of the key, so the retry of a step stuck on one worker lands anywhere.
        produce.push({ topic: names.tasks(task.queue, task.priority), key: task.idempotencyKey, value: tasks[i]!, ...(trace === undefined ? {} : { headers: trace }) });
      });
      result.control.forEach((message, i) => produce.push({ topic: names.control, key: message.runId, value: control[i]! }));
      if (input.type === 'ChildRunEnded') owner.childSpans.ended(input);
      // Commands for other runs: a child to start or cancel, a parent to tell that its child ended.
      result.commands.forEach((command, i) => {
        // A child run joins its parent's trace under the span of the step that starts it.
        const headers = command.type === 'StartChildRun' ? owner.childSpans.start(command, next.steps[command.parentStepId]?.attempts.at(-1)?.attempt, trace) : undefined;
        produce.push({ topic: names.commands, key: command.runId, value: commands[i]!, ...(headers === undefined ? {} : { headers }) });
      });
    }
    await ensureQueues(queues);
    // A replay follows the stretches the last owner recorded, which this owner's record starts with.
    if (!owner.replay?.ordering) owner.appliedOrder.applied(sourceOf(records[0]!), records.at(-1)!.offset);
    const offsets = new Map<string, OffsetCommit>();
    for (const record of records) {
      const key = `${record.topic}/${record.partition}`;
      const current = offsets.get(key);
      if (!current || current.offset <= record.offset) {
        offsets.set(key, { topic: record.topic, partition: record.partition, offset: record.offset + 1 });
      }
    }
    await commitWithRetry(owner, consumer, touched, gates, [...offsets.values()], produce);
    scheduleTimers();
  }

  /** The runs and gates a batch changed, in their states now: the batch's last (batches of a partition run one at a time). */
  function statesOf(owner: PartitionOwner, runIds: ReadonlySet<string>, gateIds: ReadonlySet<string>, offsets: OffsetCommit[]): SnapshotBatch {
    const runs = new Map<string, RunState>();
    for (const runId of runIds) {
      const state = owner.runs.get(runId);
      if (state !== undefined) runs.set(runId, state);
    }
    return { runs, gates: new Map([...gateIds].map((id) => [id, owner.gates.get(id)])), offsets };
  }

  /**
   * The `orch.state` records that take the runs and gates of `batch` from their last snapshot to
   * the states the batch holds, one group per run (and per gate), which is never split across
   * writes; and the runs among them that have ended.
   */
  function snapshotGroups(owner: PartitionOwner, batch: SnapshotBatch): { groups: ProduceRecord[][]; ended: EndedRun[] } {
    const groups: ProduceRecord[][] = [];
    const ended: EndedRun[] = [];
    for (const [runId, next] of batch.runs) {
      const digest = definitions.digestOf(next.definition);
      const group: ProduceRecord[] = [];
      if (!owner.digests.has(digest)) {
        owner.digests.add(digest);
        group.push(stateRecord(owner, snapshotKeys.definition(digest), { kind: 'definition', digest, definition: next.definition }));
      }
      const previous = owner.written.get(runId);
      const { writes, layout } = snapshotWrites(previous, next, digest);
      for (const write of writes) group.push(stateRecord(owner, write.key, write.value));
      const held = withStateLayout(next, layout);
      owner.written.set(runId, held);
      // Until the run changes again, one object is both: a run at rest costs no second copy.
      if (held !== next && owner.runs.get(runId) === next) owner.runs.set(runId, held);
      groups.push(group);
      // A run whose first snapshot is its last may be that snapshot's header alone.
      if (TERMINAL_RUN_STATUSES.has(next.status)) ended.push({ state: held, digest, headerOnly: previous === undefined && writes.length === 1 });
    }
    for (const write of gateWrites(batch.gates)) groups.push([stateRecord(owner, write.key, write.value)]);
    return { groups, ended };
  }

  /** Ended runs leave memory once their final header is written (unless a retry reopened one meanwhile). */
  function retireEnded(owner: PartitionOwner, ended: EndedRun[]): void {
    for (const { state, digest, headerOnly } of ended) {
      if (owner.runs.get(state.runId) !== state) continue;
      owner.retire(state, digest, headerOnly);
      owner.childSpans.runEnded(state.runId);
    }
  }

  /** A record of `orch.state`, on the owner's partition whatever its key hashes to. */
  function stateRecord(owner: PartitionOwner, key: string, value: object | null): ProduceRecord {
    return { topic: names.state, key, value: value === null ? null : encodeMessage(value), partition: owner.partition };
  }

  /** Tombstones the retained runs that ended more than `runRetentionMs` ago, a slice at a time. */
  async function expireRuns(): Promise<void> {
    const cutoff = o.clock() - o.runRetentionMs;
    for (const owner of owners.values()) {
      await owner.serialize(async () => {
        if (owner.revoked || closed) return;
        const writes = expiredRunWrites(owner, cutoff, RETENTION_SLICE);
        if (writes.records.length === 0) return;
        // Payloads first: a crash between the two writes leaves the runs to expire again, never a payload behind.
        const payloadTombstones = await expiredPayloadWrites(owner, transport, names.state, payloadStore, writes.runIds);
        if (payloadTombstones.length > 0) await transport.produce(payloadTombstones);
        await transport.produce(writes.records.map((w) => stateRecord(owner, w.key, null)));
        for (const runId of writes.runIds) owner.finished.delete(runId);
        log?.info({ partition: owner.partition, runs: writes.runIds.length, payloadChunks: payloadTombstones.length }, 'expired runs tombstoned');
      });
    }
  }

  /**
   * Writes a batch's outputs, then the snapshot of what it changed with its input offsets: two
   * writes, the second only once every record of the first is acknowledged. Resolves once the
   * outputs are written: the snapshot goes to the partition's SnapshotQueue, which writes it in
   * the background, after the earlier ones. The same on both buses.
   *
   * Why two: one write that spans partitions is not atomic on Kafka. The outputs (events, tasks,
   * commands) go to partitions of other topics, often led by other brokers, while the snapshot
   * goes to this owner's partition of `state`. When a broker dies, one write can land on the
   * partitions it does not lead and fail on the others; if this member is then fenced (a group
   * rebalance, which a coordinator moving after the broker's death also causes), the write is
   * dropped, and the next owner restores a snapshot that says, e.g., a task was dispatched or a
   * step succeeded while the task or the event is nowhere on the bus: the run waits forever, or
   * its history has a hole. Written in this order, what a failure leaves behind is at worst some
   * outputs without their snapshot, which the next owner's replay writes again with the same
   * seq and idempotency keys.
   *
   * Why in the background: the next batch's outputs need not wait for this snapshot (a crash
   * before it replays both batches, as above), so a batch costs one round trip on its path, not
   * two; and a run that takes several steps between two snapshots is written once. A run that
   * begins and ends within one interval writes no step record, and so no tombstone for one.
   *
   * Why on the embedded bus too, which could write outputs, snapshot and offsets in one
   * transaction: a snapshot per batch was a third of its records and half its writer's system
   * calls (each step's record, and at the run's end a tombstone for each), and the engine ran
   * faster without it (README, Tests and benchmarks). A kill -9 then replays the inputs since
   * the last snapshot, in the order recorded, as on Kafka.
   */
  async function commitWithRetry(owner: PartitionOwner, consumer: Consumer, runIds: ReadonlySet<string>, gateIds: ReadonlySet<string>, offsets: OffsetCommit[], outputs: ProduceRecord[]): Promise<void> {
    // The order of the inputs goes with the outputs they caused: a replay writes them again alike.
    if (outputs.length > 0) {
      const order = owner.appliedOrder.toWrite();
      // An order cut to nothing is a tombstone: the last owner's record no longer says what happened.
      const records = order === undefined ? [] : [stateRecord(owner, snapshotKeys.order(owner.partition), order.record ?? null)];
      if (!(await writeWithRetry(owner, () => consumer.commit([], [...outputs, ...records])))) return;
      if (order !== undefined) owner.appliedOrder.written(order.version);
    }
    // The states as the outputs just written left them: a later batch's changes wait for its own outputs.
    const batch = statesOf(owner, runIds, gateIds, offsets);
    owner.snapshots.add(batch.runs, batch.gates, batch.offsets);
  }

  /**
   * One snapshot of the queue. A write larger than one request goes out in several and may land in
   * part: it is written in chunks of whole runs, so a run's records land together or not at all,
   * and the input offsets go with the last chunk. False when the partition was lost. A partition
   * handed over in order (revoked, not fenced) still writes what it applied: its next owner then
   * replays nothing.
   */
  async function writeSnapshot(owner: PartitionOwner, consumer: Consumer, batch: SnapshotBatch): Promise<boolean> {
    if (owner.fenced) return false;
    const { groups, ended } = snapshotGroups(owner, batch);
    const chunks = chunkGroups(groups);
    if (chunks.length === 0 && batch.offsets.length > 0) chunks.push([]);
    for (const [i, chunk] of chunks.entries()) {
      const last = i === chunks.length - 1;
      if (!(await writeWithRetry(owner, () => consumer.commit(last ? batch.offsets : [], chunk)))) return false;
    }
    owner.appliedOrder.landed(new Map(batch.offsets.map((offset) => [sourceOf(offset), offset.offset])));
    retireEnded(owner, ended);
    return true;
  }

  /** A failed write is retried until it lands (true) or the partition moves (false): memory is already ahead. */
  async function writeWithRetry(owner: PartitionOwner, write: () => Promise<void>): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await write();
        return true;
      } catch (error) {
        if (owner.revoked || closed) return false;
        if (error instanceof TransportError && error.reason === TransportErrorReason.Fenced) {
          // The group moved on and this partition is being revoked: the outputs were computed
          // from state that may already be stale, so they are dropped, not retried. Memory is
          // ahead of the bus; the revoke discards it and the next owner restores from orch.state.
          owner.revoked = true;
          owner.fenced = true;
          log?.warn({ partition: owner.partition, reason: error.message }, 'outputs refused: this member was fenced; the partition goes to its next owner');
          return false;
        }
        const delay = COMMIT_RETRY_MS[Math.min(attempt, COMMIT_RETRY_MS.length - 1)]!;
        log?.warn({ partition: owner.partition, attempt, err: error }, `commit failed; retrying in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  function scheduleTimers(): void {
    if (closed) return;
    let earliest = Infinity;
    for (const owner of owners.values()) earliest = Math.min(earliest, owner.timers.peek()?.dueAt ?? Infinity);
    if (earliest === Infinity || earliest >= timerDueAt) return;
    if (timerHandle) clearTimeout(timerHandle);
    timerDueAt = earliest;
    timerHandle = setTimeout(fireDueTimers, Math.max(0, earliest - o.clock()));
  }

  function fireDueTimers(): void {
    timerHandle = undefined;
    timerDueAt = Infinity;
    const now = o.clock();
    const due: { owner: PartitionOwner; runId: string; timerId: string; record: ProduceRecord }[] = [];
    for (const owner of owners.values()) {
      for (let entry = owner.timers.peek(); entry && entry.dueAt <= now; entry = owner.timers.peek()) {
        owner.timers.pop();
        const { runId, timerId } = entry;
        const timer = owner.runs.get(runId)?.timers.find((t) => t.id === timerId);
        // Stale heap entries (cleared or re-armed timers) are dropped here.
        if (!timer || timer.dueAt > now) continue;
        if (owner.fired.has(`${runId}|${timerId}`)) continue;
        owner.fired.add(`${runId}|${timerId}`);
        const command: TimerFired = { v: 1, type: 'TimerFired', runId, timerId, ...(timer.armed === undefined ? {} : { armed: timer.armed }), at: now };
        due.push({ owner, runId, timerId, record: { topic: names.commands, key: runId, value: encodeMessage(command) } });
      }
    }
    if (due.length > 0) {
      transport.produce(due.map((d) => d.record)).catch((error: unknown) => {
        log?.warn({ err: error, count: due.length }, 'producing TimerFired failed; re-arming');
        for (const { owner, runId, timerId } of due) {
          if (owner.fired.delete(`${runId}|${timerId}`)) owner.timers.push({ dueAt: o.clock() + 500, runId, timerId });
        }
        scheduleTimers();
      });
    }
    scheduleTimers();
  }

  async function restorePartition(partition: number): Promise<void> {
    const owner = new PartitionOwner(partition, definitions, async (self, batch) => writeSnapshot(self, await ready, batch), o.snapshotIntervalMs);
    const started = Date.now();
    const { read, orphans, order } = await owner.restore(transport, names.state);
    if (order.length > 0) {
      owner.replay = await replayOrder(owner, order).catch((error: unknown) => {
        log?.warn({ partition, err: error }, 'replay: the committed or end offsets could not be read; the inputs are applied as they come');
        return undefined;
      });
    }
    owners.set(partition, owner);
    if (orphans.length > 0) log?.warn({ partition, runs: orphans.slice(0, 10), count: orphans.length }, 'runs whose definition record is missing were not restored');
    log?.info({ partition, runs: owner.runs.size, retained: owner.finished.size, recordsRead: read, ms: Date.now() - started }, 'partition assigned and restored');
  }

  /** The order the last owner applied its inputs in, from where this member's delivery starts (the committed offsets). */
  async function replayOrder(owner: PartitionOwner, stretches: InputStretch[]): Promise<ReplayOrder> {
    const { partition } = owner;
    const positions = new Map<string, number>();
    for (const topic of [names.commands, names.results]) {
      const committed = (await transport.committedOffsets(groupId, topic))[partition] ?? -1;
      positions.set(sourceOf({ topic, partition }), Math.max(0, committed));
    }
    // The last stretch goes on to the end of its source as it is now (see input-order.ts).
    const last = stretches.at(-1)!;
    const lastTopic = last.source === sourceOf({ topic: names.commands, partition }) ? names.commands : names.results;
    const followed = extendLast(stretches, (await transport.endOffsets(lastTopic))[partition] ?? 0);
    log?.info({ partition, stretches: followed.length }, 'replaying the inputs since the last snapshot in the order they were applied');
    // This owner's record starts with the stretches it follows; one that follows none records its own order only.
    owner.appliedOrder.seed(followed);
    return new ReplayOrder(followed, positions, (reason, next) => {
      log?.warn({ partition, reason }, 'replay: the rest of the inputs are applied as they come');
      // This owner's record then says what it followed, and what it applies next as it comes.
      owner.appliedOrder.followedUpTo(next);
    });
  }

  /** A batch of one source, applied after every earlier one of the partition; while replaying, in the order the last owner followed. */
  async function applyInOrder(owner: PartitionOwner, handle: Consumer, records: ConsumedRecord[]): Promise<void> {
    const source = sourceOf(records[0]!);
    for (let rest = records; rest.length > 0; ) {
      const replay = owner.replay;
      const n = replay?.ordering ? await replay.admit(source, rest) : rest.length;
      const chunk = n === rest.length ? rest : rest.slice(0, n);
      await owner.serialize(() => applyBatch(owner, handle, chunk));
      replay?.applied(source, chunk.at(-1)!.offset);
      if (replay && !replay.ordering && owner.replay === replay) owner.replay = undefined;
      rest = rest.slice(n);
    }
  }

  const partitionsOf = (tps: TopicPartition[]): number[] => [...new Set(tps.map((tp) => tp.partition))].sort((a, b) => a - b);

  // Delivery may begin before subscribe() resolves: batches wait for the consumer handle.
  let resolveReady: (consumer: Consumer) => void = () => undefined;
  const ready = new Promise<Consumer>((resolve) => (resolveReady = resolve));
  const consumer = await transport.subscribe({
    groupId,
    topics: [names.commands, names.results],
    maxBatch: o.maxBatch,
    onAssign: async (tps) => {
      // One at a time: concurrent restores share one thread and all finish late (measured with bench/takeover-scale.mjs).
      for (const partition of partitionsOf(tps)) if (!owners.has(partition)) await restorePartition(partition);
      scheduleTimers();
    },
    onRevoke: async (tps) => {
      for (const partition of partitionsOf(tps)) {
        const owner = owners.get(partition);
        if (!owner) continue;
        owner.revoked = true;
        owner.replay?.stop();
        await owner.drain();
        owner.childSpans.handOver();
        owners.delete(partition);
        log?.info({ partition }, 'partition revoked');
      }
    },
    onBatch: async (records) => {
      const first = records[0];
      if (!first) return;
      const owner = owners.get(first.partition);
      if (!owner) return;
      const handle = await ready;
      await applyInOrder(owner, handle, records);
    },
    onError: (error) => log?.error({ err: error }, 'orchestrator consumer failed'),
  });
  resolveReady(consumer);

  return {
    instanceId: o.instanceId,
    partitions,
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
    close: async () => {
      if (closed) return;
      closed = true;
      if (timerHandle) clearTimeout(timerHandle);
      clearInterval(retentionSweep);
      await consumer.close();
    },
  };
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
