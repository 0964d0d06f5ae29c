import { DEFAULT_PRIORITY, TASK_PRIORITIES, containsClaimCheck, decodeControl, decodeDispatch, encodeMessage, isOrchError, payloadBytes, topicNames } from '@orchestrator-lite/core';
import type { ErrorInfo, TaskDispatched } from '@orchestrator-lite/core';
import { PayloadStore, deadLetter, defaultPartitions } from '@orchestrator-lite/transport';
import type { ConsumedRecord, Consumer, ProduceRecord } from '@orchestrator-lite/transport';
import { Attempt, stopMessage } from './attempt.js';
import type { AttemptHost, ResultBody } from './attempt.js';
import { NonRetryableError } from './errors.js';
import { startAttemptSpan } from './tracing.js';
import { compileWorkerOptions } from './options.js';
import type { WorkerOptions } from './options.js';
import { PartitionTracker } from './partition-tracker.js';
import { Semaphore } from './semaphore.js';
import { createWorkerMetrics, outcomeOf } from './metrics.js';
import type { Registry } from 'prom-client';
import type { TaskDefinition } from './task.js';

export interface WorkerHandle {
  readonly workerId: string;
  /** This worker's task metrics (run times, dispatch latency, retries). */
  readonly metrics: Registry;
  /** Handlers running now. */
  inFlight(): number;
  /** Task records delivered and waiting for a concurrency permit. */
  waiting(): number;
  /** Stops taking work, lets in-flight handlers finish within the grace period, commits, leaves. */
  close(): Promise<void>;
}

/** An attempt's result record, and its failure when it failed. */
interface Outcome {
  record: ProduceRecord;
  error?: ErrorInfo;
}

/** Results waiting for the next flush, with the offsets they finish. */
interface PendingResults {
  offsets: number[];
  produce: ProduceRecord[];
  /** Ends the caller's wait: the results are on the bus (or left to the partition's next owner), or `error` stopped the flush. */
  settle(error?: unknown): void;
}

interface PartitionEntry {
  tracker: PartitionTracker;
  pending: PendingResults[];
  flushing: Promise<void> | undefined;
}

/** Whether a handler returned a promise (else its output, which needs no wait). */
function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * The data plane. One consumer group per queue; each record is a TaskDispatched. A record takes
 * a concurrency permit and its handler runs detached from the poll loop, so a long task never
 * stalls delivery nor causes a rebalance. Offsets follow the parallel-consumer rule
 * (PartitionTracker), and each result is produced together with the commit it allows.
 */

export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const o = compileWorkerOptions(options);
  const log = o.logger;
  const names = topicNames(o.topicPrefix);
  const { transport } = o;
  const payloads = new PayloadStore(transport, { topic: names.payloads, inlineBytes: o.inlinePayloadBytes });
  const byName = new Map<string, TaskDefinition>(o.tasks.map((t) => [t.name, t as TaskDefinition]));
  const queues = [...new Set(o.tasks.map((t) => t.queue))];
  const permits = new Semaphore(o.concurrency);
  const metrics = createWorkerMetrics(options.metricsRegistry);
  const running = new Map<string, Attempt>();
  const trackers = new Map<string, PartitionEntry>();
  let closing = false;

  const partitions = o.partitions ?? (await defaultPartitions(transport, names));
  await transport.ensureTopics([
    ...queues.flatMap((q) => TASK_PRIORITIES.map((p) => ({ name: names.tasks(q, p), partitions }))),
    { name: names.results, partitions },
    { name: names.control, partitions: 1 },
    { name: names.dlq, partitions: 1 },
  ]);

  const result = (task: TaskDispatched, body: ResultBody, headers?: Record<string, string>): ProduceRecord => ({
    topic: names.results,
    key: task.runId,
    value: encodeMessage({ v: 1, runId: task.runId, stepId: task.stepId, attempt: task.attempt, workerId: o.workerId, at: Date.now(), ...body }),
    ...(headers === undefined ? {} : { headers }),
  });
  const host: AttemptHost = {
    result,
    send: (record) => {
      transport.produce([record]).catch((error: unknown) => log?.warn({ err: error }, 'sending a task update failed'));
    },
    heartbeatThrottleMs: o.heartbeatThrottleMs,
    startReportDelayMs: o.startReportDelayMs,
  };

  function trackerOf(record: ConsumedRecord): PartitionEntry {
    const key = `${record.topic}/${record.partition}`;
    let entry = trackers.get(key);
    if (!entry) {
      entry = { tracker: new PartitionTracker(), pending: [], flushing: undefined };
      trackers.set(key, entry);
    }
    return entry;
  }

  /**
   * Hands the records a finished task produces to its partition's commit queue; resolves once
   * they are on the bus (or left to the partition's next owner), not once the queue is empty:
   * under load the flush goes on while results arrive, and an attempt held until then (its
   * context, span and closures) outlived the young generation. A record counts as finished only
   * inside the flush that produces its results: were it marked finished earlier, a commit flushed
   * for another record could move the offset past it while its result still waits in the queue,
   * and a crash then would lose that result for good (the task would never be redelivered).
   */
  function commitFor(consumer: Consumer, record: ConsumedRecord, produce: ProduceRecord[], offsets: number[] = [record.offset]): Promise<void> {
    const entry = trackerOf(record);
    const landed = new Promise<void>((resolve, reject) => {
      entry.pending.push({ offsets, produce, settle: (error) => (error === undefined ? resolve() : reject(error)) });
    });
    entry.flushing ??= flush(consumer, record.topic, record.partition, entry);
    return landed;
  }

  /**
   * Commits of one partition run one at a time (a later offset never lands first), each taking
   * every result queued meanwhile. Never rejects: an error reaches the waits of the results it
   * stopped.
   */
  async function flush(consumer: Consumer, topic: string, partition: number, entry: PartitionEntry): Promise<void> {
    const backoff = { failures: 0 };
    // The flag clears in the same turn as the last look at the queue: cleared any later (a
    // `.finally` runs a microtask after), a result queued in between would find a flush
    // "running" and wait, unsent, for another task of this partition to finish. The first await
    // lets the caller store this flush's promise before anything can clear it.
    try {
      await Promise.resolve();
      while (entry.pending.length > 0) {
        const batch = entry.pending.splice(0);
        let sent: 'done' | 'requeued';
        try {
          sent = await sendResults(consumer, topic, partition, entry, batch, backoff);
        } catch (error) {
          for (const b of [...batch, ...entry.pending.splice(0)]) b.settle(error);
          return;
        }
        if (sent === 'done') for (const b of batch) b.settle();
      }
    } finally {
      entry.flushing = undefined;
    }
  }

  /** One commit with the batch's results; when the bus refuses them while this member owns the partition, they go back to the head of the queue. */
  async function sendResults(consumer: Consumer, topic: string, partition: number, entry: PartitionEntry, batch: PendingResults[], backoff: { failures: number }): Promise<'done' | 'requeued'> {
    const produce = batch.flatMap((b) => b.produce);
    const offsets = batch.flatMap((b) => b.offsets);
    for (const offset of offsets) entry.tracker.end(offset);
    const next = entry.tracker.committable();
    try {
      if (next === undefined) throw new Error('nothing to commit');
      await consumer.commit([{ topic, partition, offset: next }], produce);
      return 'done';
    } catch (error) {
      // The partition moved (or the bus hiccuped): results still go out; the new owner redelivers.
      log?.debug({ err: error, partition }, 'commit failed; producing without it');
      if (produce.length === 0) return 'done';
    }
    try {
      await transport.produce(produce);
      backoff.failures = 0;
      return 'done';
    } catch (e) {
      // Not on the bus: the records stay unfinished, so no commit passes them. While this
      // member still owns the partition nobody else will run them, so the results are
      // retried (the bus may be restarting); once it moved or the worker closes, the new
      // owner (or the next start) redelivers them from the committed offset.
      for (const offset of offsets) entry.tracker.begin(offset);
      const owned = !closing && trackers.get(`${topic}/${partition}`) === entry;
      if (!owned) {
        log?.warn({ err: e, partition, offsets }, 'producing task results failed; the tasks will be redelivered');
        return 'done';
      }
      const delay = Math.min(250 * 2 ** backoff.failures++, 5000);
      log?.warn({ err: e, partition, offsets, attempt: backoff.failures }, `producing task results failed; retrying in ${delay} ms`);
      entry.pending.unshift({ offsets, produce, settle: (error) => batch.forEach((b) => b.settle(error)) });
      await new Promise((resolve) => setTimeout(resolve, delay));
      return 'requeued';
    }
  }

  /**
   * Starts one attempt, registered in `running` for as long as it runs. It is registered before
   * the handler is called: a handler that throws at once finishes before this function returns,
   * and registered afterwards it would stay "running" forever, so that a redelivery of the same
   * attempt (a rebalance, or the orchestrator dispatching it again after a failover) would be
   * taken for a duplicate of it and never run nor finish.
   */
  function execute(consumer: Consumer, record: ConsumedRecord, task: TaskDispatched, definition: TaskDefinition): void {
    // The attempt's span, a child of the run's trace context carried by the task record; the
    // results carry the span's own context on.
    const attempt = new Attempt(task, startAttemptSpan(task, record.headers, o.workerId), host);
    running.set(task.idempotencyKey, attempt);
    trackerOf(record).tracker.begin(record.offset);
    metrics.dispatchLatency.observe({ queue: task.queue }, Math.max(0, attempt.startedAt - task.dispatchedAt) / 1000);
    if (task.attempt > 1) metrics.retries.inc({ task: task.task });
    attempt.done = runAttempt(consumer, record, attempt, definition);
  }

  /** Runs the attempt's handler and hands its result to the commit queue. */
  async function runAttempt(consumer: Consumer, record: ConsumedRecord, attempt: Attempt, definition: TaskDefinition): Promise<void> {
    const { task } = attempt;
    let outcome: ProduceRecord | undefined;
    let failure: ErrorInfo | undefined;
    try {
      // A handler never sees a claim-check: the payloads in its input are fetched first.
      let input = task.input;
      if (containsClaimCheck(input)) {
        attempt.waits();
        input = await resolveInput(task);
      }
      const returned = attempt.tracing.run(() => definition.handler(input, attempt));
      let output = returned;
      if (isPromiseLike(returned)) {
        attempt.waits();
        output = await returned;
      }
      const encoded = encodeOutcome(attempt, output, attempt.handlerEnded());
      ({ record: outcome, error: failure } = isPromiseLike(encoded) ? await encoded : encoded);
    } catch (error) {
      const start = attempt.handlerEnded();
      if (attempt.stopped?.kind === 'shutdown') {
        outcome = undefined; // released: redelivered elsewhere
        failure = { type: 'ORCH_CANCELLED', message: stopMessage(attempt.stopped) };
      } else {
        failure = attempt.failureOf(error);
        outcome = attempt.update({ type: 'TaskFailed', error: failure, ...start });
      }
    }
    attempt.tracing.end(failure);
    metrics.runTime.observe({ task: task.task, outcome: outcomeOf(failure) }, (Date.now() - attempt.startedAt) / 1000);
    if (running.get(task.idempotencyKey) === attempt) running.delete(task.idempotencyKey);
    permits.release();
    if (outcome) await commitFor(consumer, record, [outcome], [record.offset, ...attempt.duplicates]);
  }

  /** The task's input with its claim-checks resolved; an unreadable payload fails the attempt for good. */
  async function resolveInput(task: TaskDispatched): Promise<unknown> {
    try {
      return await payloads.resolve(task.input);
    } catch (error) {
      if (!isOrchError(error)) throw error;
      throw new NonRetryableError(error.message, { type: error.code, details: error.details });
    }
  }

  /**
   * The result record of an output: inline when small, else a claim-check to it written first;
   * over the hard limit, a non-retryable failure, decided before anything is written.
   */
  function encodeOutcome(attempt: Attempt, output: unknown, start: { startedAt?: number }): Outcome | Promise<Outcome> {
    let error: ErrorInfo;
    try {
      const value = output === undefined ? null : output;
      const bytes = payloadBytes(value);
      if (bytes.length > o.maxOutputBytes) {
        error = { type: 'ORCH_PAYLOAD_TOO_LARGE', message: `task output is ${bytes.length} bytes; the limit is ${o.maxOutputBytes}`, nonRetryable: true, details: { field: 'output', size: bytes.length, limit: o.maxOutputBytes } };
      } else if (bytes.length <= payloads.inlineBytes) {
        return { record: attempt.update({ type: 'TaskCompleted', output: value, ...start }) };
      } else {
        return payloads.claim(value, attempt.runId, bytes).then((claim) => ({ record: attempt.update({ type: 'TaskCompleted', output: claim, ...start }) }));
      }
    } catch (e) {
      if (!(e instanceof TypeError || e instanceof RangeError)) throw e;
      error = { type: 'ORCH_BAD_OUTPUT', message: `task output cannot be serialized as JSON: ${(e as Error).message}`, nonRetryable: true };
    }
    return { record: attempt.update({ type: 'TaskFailed', error, ...start }), error };
  }

  async function onTasks(consumer: Consumer, records: ConsumedRecord[]): Promise<void> {
    for (const record of records) {
      if (closing) return; // not taken: not committed, so redelivered to another member
      let task: TaskDispatched;
      try {
        task = decodeDispatch(record.value);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        log?.warn({ topic: record.topic, partition: record.partition, offset: record.offset, reason }, 'undecodable task dead-lettered');
        trackerOf(record).tracker.begin(record.offset);
        await commitFor(consumer, record, [deadLetter(record, reason, names.dlq)]);
        continue;
      }
      // Higher priority first: a freed permit goes to the highest-priority record waiting for one.
      if (!permits.tryAcquire()) await permits.acquire(task.priority ?? DEFAULT_PRIORITY);
      if (closing) {
        permits.release();
        return;
      }
      const definition = byName.get(task.task);
      if (!definition) {
        permits.release();
        trackerOf(record).tracker.begin(record.offset);
        const error: ErrorInfo = { type: 'ORCH_TASK_NOT_FOUND', message: `no handler for task "${task.task}" on queue "${task.queue}" (worker ${o.workerId} serves ${[...byName.keys()].join(', ')})` };
        await commitFor(consumer, record, [result(task, { type: 'TaskFailed', error })]);
        continue;
      }
      const same = running.get(task.idempotencyKey);
      if (same) {
        // The same attempt redelivered while it still runs here: one execution is enough, and
        // the redelivered record finishes when it does (not before its result is on the bus).
        permits.release();
        trackerOf(record).tracker.begin(record.offset);
        same.duplicates.push(record.offset);
        continue;
      }
      execute(consumer, record, task, definition);
    }
  }

  const consumers: Consumer[] = [];
  for (const queue of queues) {
    // Delivery may begin before subscribe() resolves: batches wait for the consumer handle.
    let resolveReady: (consumer: Consumer) => void = () => undefined;
    const ready = new Promise<Consumer>((resolve) => (resolveReady = resolve));
    const consumer: Consumer = await transport.subscribe({
      groupId: `${o.topicPrefix}workers.${queue}`,
      // One group over the queue's three priority topics: each partition is delivered on its own,
      // so a backlog of low-priority tasks never holds up the delivery of high-priority ones.
      topics: TASK_PRIORITIES.map((p) => names.tasks(queue, p)),
      maxBatch: o.concurrency,
      onBatch: async (records) => onTasks(await ready, records),
      onRevoke: (tps) => {
        for (const tp of tps) trackers.delete(`${tp.topic}/${tp.partition}`);
      },
      onError: (error) => log?.error({ err: error, queue }, 'task consumer failed'),
    });
    resolveReady(consumer);
    consumers.push(consumer);
  }

  const control = await transport.subscribe({
    groupId: `${o.topicPrefix}control.${o.workerId}`,
    topics: [names.control],
    from: 'latest',
    onBatch: async (records) => {
      for (const record of records) {
        let message;
        try {
          message = decodeControl(record.value);
        } catch {
          continue; // the orchestrator dead-letters nothing here: control records are advisory
        }
        for (const run of running.values()) {
          const t = run.task;
          if (t.runId !== message.runId) continue;
          if (message.stepId !== undefined && t.stepId !== message.stepId) continue;
          if (message.attempt !== undefined && t.attempt !== message.attempt) continue;
          run.stop({ kind: 'cancelled', reason: message.reason });
        }
      }
    },
  });

  log?.info({ workerId: o.workerId, queues, tasks: [...byName.keys()], concurrency: o.concurrency }, `worker ${o.workerId} serving ${queues.join(', ')}`);

  return {
    workerId: o.workerId,
    metrics: metrics.registry,
    inFlight: () => running.size,
    waiting: () => permits.waiting,
    close: async () => {
      if (closing) return;
      closing = true;
      const pending = [...running.values()];
      const grace = new Promise<void>((resolve) => setTimeout(resolve, o.shutdownGraceMs).unref());
      await Promise.race([Promise.all(pending.map((r) => r.done)), grace]);
      for (const run of running.values()) run.stop({ kind: 'shutdown' });
      await Promise.all([...running.values()].map((r) => r.done));
      await Promise.all([...trackers.values()].map((t) => t.flushing));
      await Promise.all([...consumers, control].map((c) => c.close()));
    },
  };
}
