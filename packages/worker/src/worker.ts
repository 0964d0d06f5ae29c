import { DEFAULT_PRIORITY, TASK_PRIORITIES, containsClaimCheck, decodeControl, decodeDispatch, encodeMessage, errorMessage, isOrchError, payloadBytes, topicNames } from '@orchestrator-lite/core';
import type { ErrorInfo, TaskDispatched, TopicNames } from '@orchestrator-lite/core';
import { PayloadStore, deadLetter, defaultPartitions } from '@orchestrator-lite/transport';
import type { ConsumedRecord, Consumer, ProduceRecord } from '@orchestrator-lite/transport';
import type { Logger } from 'pino';
import { Attempt, stopMessage } from './attempt.js';
import type { AttemptHost, ResultBody } from './attempt.js';
import { NonRetryableError } from './errors.js';
import { startAttemptSpan } from './tracing.js';
import { compileWorkerOptions } from './options.js';
import type { CompiledWorkerOptions, WorkerOptions } from './options.js';
import { ResultCommits } from './result-commits.js';
import { Semaphore } from './semaphore.js';
import { createWorkerMetrics, outcomeOf } from './metrics.js';
import type { WorkerMetrics } from './metrics.js';
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
class Worker implements AttemptHost {
  readonly heartbeatThrottleMs: number;
  readonly startReportDelayMs: number;
  readonly #o: Readonly<CompiledWorkerOptions>;
  readonly #log: Logger | undefined;
  readonly #names: TopicNames;
  readonly #payloads: PayloadStore;
  readonly #byName: Map<string, TaskDefinition>;
  readonly #queues: string[];
  readonly #permits: Semaphore;
  readonly #metrics: WorkerMetrics;
  readonly #running = new Map<string, Attempt>();
  readonly #commits: ResultCommits;
  /** The task consumers, one a queue, then the control consumer. */
  readonly #consumers: Consumer[] = [];
  #closing = false;

  constructor(options: WorkerOptions) {
    const o = compileWorkerOptions(options);
    this.#o = o;
    this.#log = o.logger;
    this.#names = topicNames(o.topicPrefix);
    this.#payloads = new PayloadStore(o.transport, { topic: this.#names.payloads, inlineBytes: o.inlinePayloadBytes });
    this.#byName = new Map<string, TaskDefinition>(o.tasks.map((t) => [t.name, t as TaskDefinition]));
    this.#queues = [...new Set(o.tasks.map((t) => t.queue))];
    this.#permits = new Semaphore(o.concurrency);
    this.#metrics = createWorkerMetrics(options.metricsRegistry);
    this.#commits = new ResultCommits(o.transport, o.logger, () => this.#closing);
    this.heartbeatThrottleMs = o.heartbeatThrottleMs;
    this.startReportDelayMs = o.startReportDelayMs;
  }

  /** Provisions the topics, subscribes each queue's group and the control group. */
  async start(): Promise<void> {
    const o = this.#o;
    const names = this.#names;
    const partitions = o.partitions ?? (await defaultPartitions(o.transport, names));
    await o.transport.ensureTopics([
      ...this.#queues.flatMap((q) => TASK_PRIORITIES.map((p) => ({ name: names.tasks(q, p), partitions }))),
      { name: names.results, partitions },
      { name: names.control, partitions: 1 },
      { name: names.dlq, partitions: 1 },
    ]);
    for (const queue of this.#queues) await this.#subscribeQueue(queue);
    this.#consumers.push(
      await o.transport.subscribe({
        groupId: `${o.topicPrefix}control.${o.workerId}`,
        topics: [names.control],
        from: 'latest',
        onBatch: async (records) => this.#onControl(records),
      }),
    );
    this.#log?.info({ workerId: o.workerId, queues: this.#queues, tasks: [...this.#byName.keys()], concurrency: o.concurrency }, `worker ${o.workerId} serving ${this.#queues.join(', ')}`);
  }

  handle(): WorkerHandle {
    return {
      workerId: this.#o.workerId,
      metrics: this.#metrics.registry,
      inFlight: () => this.#running.size,
      waiting: () => this.#permits.waiting,
      close: () => this.close(),
    };
  }

  /** The record of a result of `task`, carrying `headers`. */
  result(task: TaskDispatched, body: ResultBody, headers?: Record<string, string>): ProduceRecord {
    return {
      topic: this.#names.results,
      key: task.runId,
      value: encodeMessage({ v: 1, runId: task.runId, stepId: task.stepId, attempt: task.attempt, workerId: this.#o.workerId, at: Date.now(), ...body }),
      ...(headers === undefined ? {} : { headers }),
    };
  }

  /** Sends an update on its own, not waited for. */
  send(record: ProduceRecord): void {
    this.#o.transport.produce([record]).catch((error: unknown) => this.#log?.warn({ err: error }, 'sending a task update failed'));
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const pending = [...this.#running.values()];
    const grace = new Promise<void>((resolve) => setTimeout(resolve, this.#o.shutdownGraceMs).unref());
    await Promise.race([Promise.all(pending.map((r) => r.done)), grace]);
    for (const run of this.#running.values()) run.stop({ kind: 'shutdown' });
    await Promise.all([...this.#running.values()].map((r) => r.done));
    await this.#commits.drain();
    await Promise.all(this.#consumers.map((c) => c.close()));
  }

  async #subscribeQueue(queue: string): Promise<void> {
    const o = this.#o;
    // Delivery may begin before subscribe() resolves: batches wait for the consumer handle.
    const { promise: ready, resolve: resolveReady } = Promise.withResolvers<Consumer>();
    const consumer: Consumer = await o.transport.subscribe({
      groupId: `${o.topicPrefix}workers.${queue}`,
      // One group over the queue's three priority topics: each partition is delivered on its own,
      // so a backlog of low-priority tasks never holds up the delivery of high-priority ones.
      topics: TASK_PRIORITIES.map((p) => this.#names.tasks(queue, p)),
      maxBatch: o.concurrency,
      onBatch: async (records) => this.#onTasks(await ready, records),
      onRevoke: (tps) => this.#commits.revoke(tps),
      onError: (error) => this.#log?.error({ err: error, queue }, 'task consumer failed'),
    });
    resolveReady(consumer);
    this.#consumers.push(consumer);
  }

  async #onTasks(consumer: Consumer, records: ConsumedRecord[]): Promise<void> {
    for (const record of records) {
      if (this.#closing) return; // not taken: not committed, so redelivered to another member
      let task: TaskDispatched;
      try {
        task = decodeDispatch(record.value);
      } catch (error) {
        await this.#deadLetter(consumer, record, error);
        continue;
      }
      // Higher priority first: a freed permit goes to the highest-priority record waiting for one.
      if (!this.#permits.tryAcquire()) await this.#permits.acquire(task.priority ?? DEFAULT_PRIORITY);
      if (this.#closing) {
        this.#permits.release();
        return;
      }
      const failed = this.#take(consumer, record, task);
      if (failed !== undefined) await failed;
    }
  }

  /** An undecodable record goes to the dead-letter topic; resolves once it is there. */
  #deadLetter(consumer: Consumer, record: ConsumedRecord, error: unknown): Promise<void> {
    const reason = errorMessage(error);
    this.#log?.warn({ topic: record.topic, partition: record.partition, offset: record.offset, reason }, 'undecodable task dead-lettered');
    this.#commits.begin(record);
    return this.#commits.commit(consumer, record, [deadLetter(record, reason, this.#names.dlq)]);
  }

  /**
   * Runs a task that holds a permit, unless no handler here knows it (it fails at once: the
   * returned promise resolves once its failure is on the bus) or it already runs here.
   */
  #take(consumer: Consumer, record: ConsumedRecord, task: TaskDispatched): Promise<void> | undefined {
    const definition = this.#byName.get(task.task);
    if (!definition) {
      this.#permits.release();
      this.#commits.begin(record);
      const error: ErrorInfo = { type: 'ORCH_TASK_NOT_FOUND', message: `no handler for task "${task.task}" on queue "${task.queue}" (worker ${this.#o.workerId} serves ${[...this.#byName.keys()].join(', ')})` };
      return this.#commits.commit(consumer, record, [this.result(task, { type: 'TaskFailed', error })]);
    }
    const same = this.#running.get(task.idempotencyKey);
    if (same) {
      // The same attempt redelivered while it still runs here: one execution is enough, and
      // the redelivered record finishes when it does (not before its result is on the bus).
      this.#permits.release();
      this.#commits.begin(record);
      same.duplicates.push(record.offset);
      return undefined;
    }
    this.#execute(consumer, record, task, definition);
    return undefined;
  }

  /**
   * Starts one attempt, registered in `running` for as long as it runs. It is registered before
   * the handler is called: a handler that throws at once finishes before this method returns,
   * and registered afterwards it would stay "running" forever, so that a redelivery of the same
   * attempt (a rebalance, or the orchestrator dispatching it again after a failover) would be
   * taken for a duplicate of it and never run nor finish.
   */
  #execute(consumer: Consumer, record: ConsumedRecord, task: TaskDispatched, definition: TaskDefinition): void {
    // The attempt's span, a child of the run's trace context carried by the task record; the
    // results carry the span's own context on.
    const attempt = new Attempt(task, startAttemptSpan(task, record.headers, this.#o.workerId), this);
    this.#running.set(task.idempotencyKey, attempt);
    this.#commits.begin(record);
    this.#metrics.dispatchLatency.observe({ queue: task.queue }, Math.max(0, attempt.startedAt - task.dispatchedAt) / 1000);
    if (task.attempt > 1) this.#metrics.retries.inc({ task: task.task });
    attempt.done = this.#runAttempt(consumer, record, attempt, definition);
  }

  /** Runs the attempt's handler and hands its result to the commit queue. */
  async #runAttempt(consumer: Consumer, record: ConsumedRecord, attempt: Attempt, definition: TaskDefinition): Promise<void> {
    const { task } = attempt;
    let outcome: ProduceRecord | undefined;
    let failure: ErrorInfo | undefined;
    try {
      // A handler never sees a claim-check: the payloads in its input are fetched first.
      let input = task.input;
      if (containsClaimCheck(input)) {
        attempt.waits();
        input = await this.#resolveInput(task);
      }
      const returned = attempt.tracing.run(() => definition.handler(input, attempt));
      let output = returned;
      if (isPromiseLike(returned)) {
        attempt.waits();
        output = await returned;
      }
      const encoded = this.#encodeOutcome(attempt, output, attempt.handlerEnded());
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
    this.#metrics.runTime.observe({ task: task.task, outcome: outcomeOf(failure) }, (Date.now() - attempt.startedAt) / 1000);
    if (this.#running.get(task.idempotencyKey) === attempt) this.#running.delete(task.idempotencyKey);
    this.#permits.release();
    if (outcome) await this.#commits.commit(consumer, record, [outcome], [record.offset, ...attempt.duplicates]);
  }

  /** The task's input with its claim-checks resolved; an unreadable payload fails the attempt for good. */
  async #resolveInput(task: TaskDispatched): Promise<unknown> {
    try {
      return await this.#payloads.resolve(task.input);
    } catch (error) {
      if (!isOrchError(error)) throw error;
      throw new NonRetryableError(error.message, { type: error.code, details: error.details });
    }
  }

  /**
   * The result record of an output: inline when small, else a claim-check to it written first;
   * over the hard limit, a non-retryable failure, decided before anything is written.
   */
  #encodeOutcome(attempt: Attempt, output: unknown, start: { startedAt?: number }): Outcome | Promise<Outcome> {
    const { maxOutputBytes } = this.#o;
    const payloads = this.#payloads;
    let error: ErrorInfo;
    try {
      const value = output === undefined ? null : output;
      const bytes = payloadBytes(value);
      if (bytes.length > maxOutputBytes) {
        error = { type: 'ORCH_PAYLOAD_TOO_LARGE', message: `task output is ${bytes.length} bytes; the limit is ${maxOutputBytes}`, nonRetryable: true, details: { field: 'output', size: bytes.length, limit: maxOutputBytes } };
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

  /** Stops the running attempts a control record names. */
  #onControl(records: ConsumedRecord[]): void {
    for (const record of records) {
      let message;
      try {
        message = decodeControl(record.value);
      } catch {
        continue; // the orchestrator dead-letters nothing here: control records are advisory
      }
      for (const run of this.#running.values()) {
        const t = run.task;
        if (t.runId !== message.runId) continue;
        if (message.stepId !== undefined && t.stepId !== message.stepId) continue;
        if (message.attempt !== undefined && t.attempt !== message.attempt) continue;
        run.stop({ kind: 'cancelled', reason: message.reason });
      }
    }
  }
}

/** Starts a worker: provisions its topics, joins its queues' groups and the control group. */
export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const worker = new Worker(options);
  await worker.start();
  return worker.handle();
}
