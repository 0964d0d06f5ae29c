/**
 * A transport reached from another thread. The embedded bus is one thread's (its writes, its
 * in-memory tails and its wake-ups live on the event loop that opened it), so a role that runs on a
 * worker thread of its own uses the bus through a `MessagePort`: `serveTransport` answers on the
 * bus's thread, `ForwardedTransport` is the role's `Transport`. A Kafka transport can be served the
 * same way.
 *
 * What crosses the port, in each direction, is gathered per turn of the event loop (its I/O
 * callbacks, say the HTTP requests that arrived together, and their microtasks) into one message: a
 * wake-up of a sleeping thread is the dear part of a message (see thread-channel.ts). Gathered per
 * task instead, a gateway sent a message for each run it was asked to start: 4 times the messages
 * in all, and about 1.12x the CPU a step (chain10, every role in one process; the latency at half
 * load the same either way). Record values travel packed in one `ArrayBuffer` per call, moved, not
 * copied: a `Buffer` of Node's pool would otherwise take its whole pool with it.
 *
 * Consumer groups keep their contract: the bus's thread hands a partition's batch over and waits for
 * the role's `onBatch` to settle before the next one, and waits likewise for `onAssign` and
 * `onRevoke`. `writeStats()` answers from the totals sent with the bus thread's latest message.
 */
import type { MessagePort } from 'node:worker_threads';
import { TransportError, TransportErrorReason } from './embedded/errors.js';
import { partitionKey } from './partition-key.js';
import { fromThreadError, toThreadError } from './thread-channel.js';
import type { ThreadError } from './thread-channel.js';
import type {
  ConsumedRecord,
  Consumer,
  OffsetCommit,
  ProduceRecord,
  ReadOptions,
  RecordMetadata,
  SubscribeOptions,
  TopicPartition,
  TopicSpec,
  Transport,
  WriteStats,
} from './types.js';

/** Values packed end to end; `-1` is a `null` value. */
interface PackedValues {
  data: ArrayBuffer;
  sizes: number[];
}

type Meta<R> = Omit<R, 'value'>;
interface PackedRecords<R> {
  records: Meta<R>[];
  values: PackedValues;
}

/** An error on its way across: a thread's error, and a `TransportError`'s reason and details, to raise the same kind on the other side. */
interface WireError extends ThreadError {
  reason?: string;
  details?: unknown;
}

/** The calls the role's thread makes. */
type Call =
  | { op: 'ensureTopics'; specs: TopicSpec[] }
  | { op: 'partitionCount'; topic: string }
  | { op: 'produce'; records: PackedRecords<ProduceRecord> }
  | { op: 'endOffsets'; topic: string }
  | { op: 'committedOffsets'; groupId: string; topic: string }
  | { op: 'subscribe'; consumer: number; groupId: string; topics: string[]; from?: 'earliest' | 'latest'; maxBatch?: number }
  | { op: 'commit'; consumer: number; offsets: OffsetCommit[]; produce?: PackedRecords<ProduceRecord> }
  | { op: 'leave'; consumer: number }
  | { op: 'readOpen'; reader: number; topic: string; partition: number; options?: ReadOptions }
  | { op: 'readNext'; reader: number }
  | { op: 'readClose'; reader: number }
  | { op: 'extra'; name: string };

/** What the bus's thread hands the role: a consumer's batch or (re)assignment, to settle before the next. */
type Callback =
  | { kind: 'batch'; consumer: number; records: PackedRecords<ConsumedRecord> }
  | { kind: 'assign' | 'revoke'; consumer: number; partitions: TopicPartition[] };

type Part =
  | { t: 'call'; id: number; call: Call }
  | { t: 'answer'; id: number; value?: unknown; error?: WireError }
  | { t: 'callback'; id: number; callback: Callback }
  | { t: 'consumerError'; consumer: number; error: WireError };

interface Message {
  parts: Part[];
  /** From the bus's thread: its transport's write totals when the message left. */
  stats?: WriteStats;
}

function packValues(values: readonly (Buffer | null)[]): PackedValues {
  let total = 0;
  for (const v of values) if (v !== null) total += v.length;
  const data = new ArrayBuffer(total);
  const bytes = new Uint8Array(data);
  const sizes: number[] = [];
  let at = 0;
  for (const v of values) {
    if (v === null) {
      sizes.push(-1);
      continue;
    }
    bytes.set(v, at);
    at += v.length;
    sizes.push(v.length);
  }
  return { data, sizes };
}

function unpackValues({ data, sizes }: PackedValues): (Buffer | null)[] {
  let at = 0;
  return sizes.map((size) => {
    if (size < 0) return null;
    const value = Buffer.from(data, at, size);
    at += size;
    return value;
  });
}

function pack<R extends { value: Buffer | null }>(records: readonly R[]): PackedRecords<R> {
  return { records: records.map(({ value: _value, ...meta }) => meta), values: packValues(records.map((r) => r.value)) };
}

function unpack<R extends { value: Buffer | null }>({ records, values }: PackedRecords<R>): R[] {
  const unpacked = unpackValues(values);
  return records.map((meta, i) => ({ ...meta, value: unpacked[i]! }) as R);
}

const isPacked = (value: unknown): value is PackedRecords<ConsumedRecord> =>
  typeof value === 'object' && value !== null && 'values' in value && (value as PackedRecords<ConsumedRecord>).values.data instanceof ArrayBuffer;

function toWire(error: unknown): WireError {
  const { reason, details } = (error ?? {}) as { reason?: unknown; details?: unknown };
  return {
    ...toThreadError(error),
    ...(typeof reason === 'string' ? { reason } : {}),
    ...(details === undefined ? {} : { details: structuredCloneOrNothing(details) }),
  };
}

const structuredCloneOrNothing = (value: unknown): unknown => {
  try {
    return structuredClone(value);
  } catch {
    return undefined;
  }
};

function fromWire(error: WireError): Error {
  if (error.name === 'TransportError' && error.reason !== undefined) {
    return new TransportError(error.reason as TransportErrorReason, error.message, error.details as Record<string, unknown> | undefined);
  }
  return fromThreadError(error);
}

/**
 * One end of the port: the parts of a turn go as one message; an answer or an acknowledgement is
 * matched to its waiting promise.
 */
class Link {
  readonly #port: MessagePort;
  readonly #stats: (() => WriteStats) | undefined;
  readonly #waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  #queued: Part[] = [];
  #transfer: ArrayBuffer[] = [];
  #nextId = 1;
  #closed: Error | undefined;

  /** `stats` gives the totals this end sends with each message; `onStats` hears those the other end sent. */
  constructor(port: MessagePort, onPart: (part: Part) => void, stats: { send?: () => WriteStats; onStats?: (stats: WriteStats) => void } = {}) {
    this.#port = port;
    this.#stats = stats.send;
    port.on('message', (message: Message) => {
      if (message.stats !== undefined) stats.onStats?.(message.stats);
      for (const part of message.parts) {
        if (part.t === 'answer') this.#answered(part);
        else onPart(part);
      }
    });
    port.on('close', () => this.fail(new TransportError(TransportErrorReason.Closed, 'The bus thread\'s port closed')));
  }

  /** Sends `part` with the rest of this turn's and waits for its answer. */
  request<T>(make: (id: number) => Part, transfer?: ArrayBuffer): Promise<T> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.send(make(id), transfer);
    });
  }

  /** Queues `part` for this turn's message; `transfer` are its buffers, moved with it. */
  send(part: Part, transfer?: ArrayBuffer): void {
    if (this.#closed !== undefined) return;
    this.#queued.push(part);
    if (transfer !== undefined) this.#transfer.push(transfer);
    if (this.#queued.length === 1) setImmediate(() => this.#flush());
  }

  /** Answers request `id` once `settle` settles; a value of packed records moves its buffer. */
  answer(id: number, settle: Promise<unknown>): void {
    settle.then(
      (value) => this.send({ t: 'answer', id, value }, isPacked(value) ? value.values.data : undefined),
      (error: unknown) => this.send({ t: 'answer', id, error: toWire(error) }),
    );
  }

  fail(error: Error): void {
    if (this.#closed !== undefined) return;
    this.#closed = error;
    this.#queued = [];
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of waiting) w.reject(error);
  }

  close(): void {
    this.fail(new TransportError(TransportErrorReason.Closed, 'The forwarded transport is closed'));
    this.#port.close();
  }

  #flush(): void {
    const parts = this.#queued;
    const transfer = this.#transfer;
    this.#queued = [];
    this.#transfer = [];
    if (parts.length === 0 || this.#closed !== undefined) return;
    const message: Message = this.#stats === undefined ? { parts } : { parts, stats: this.#stats() };
    this.#port.postMessage(message, transfer);
  }

  #answered(part: Extract<Part, { t: 'answer' }>): void {
    const waiting = this.#waiting.get(part.id);
    if (waiting === undefined) return;
    this.#waiting.delete(part.id);
    if (part.error !== undefined) waiting.reject(fromWire(part.error));
    else waiting.resolve(part.value);
  }
}

/** What a served port may ask besides the bus: named calls the bus's thread answers (its metrics' text, say). */
export type Extras = Record<string, () => Promise<unknown>>;

/**
 * Serves `transport` on `port` until `close()` or the port closes; then leaves the groups and ends
 * the reads it opened for the other side (`transport` itself stays open: other roles may share it).
 */
export function serveTransport(port: MessagePort, transport: Transport, extras: Extras = {}): { close(): Promise<void> } {
  const server = new TransportServer(port, transport, extras);
  port.on('close', () => void server.close());
  return { close: () => server.close() };
}

/** A consumer of the other side: joining, then joined (`member`), so that a commit goes to the bus in its place among the calls of its turn. */
interface ServedConsumer {
  joining: Promise<Consumer>;
  member?: Consumer;
}

/** The bus's side of a port: runs the other side's calls on `transport` and hands it their answers and its consumers' callbacks. */
class TransportServer {
  readonly #consumers = new Map<number, ServedConsumer>();
  readonly #readers = new Map<number, AsyncIterator<ConsumedRecord[]>>();
  readonly #link: Link;
  #closing: Promise<void> | undefined;

  constructor(
    port: MessagePort,
    private readonly transport: Transport,
    private readonly extras: Extras,
  ) {
    this.#link = new Link(port, (part) => this.#onPart(part), { send: () => transport.writeStats() });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#consumers.keys()].map((id) => this.#leave(id)));
      await Promise.allSettled([...this.#readers.keys()].map((id) => this.#readClose(id)));
      this.#link.close();
    })();
    return this.#closing;
  }

  #onPart(part: Part): void {
    if (part.t === 'call') this.#link.answer(part.id, this.#run(part.call));
  }

  async #run(call: Call): Promise<unknown> {
    const { transport } = this;
    switch (call.op) {
      case 'ensureTopics':
        return transport.ensureTopics(call.specs);
      case 'partitionCount':
        return transport.partitionCount(call.topic);
      case 'produce':
        return transport.produce(unpack(call.records));
      case 'endOffsets':
        return transport.endOffsets(call.topic);
      case 'committedOffsets':
        return transport.committedOffsets(call.groupId, call.topic);
      case 'subscribe':
        return this.#subscribe(call);
      case 'commit':
        return this.#commit(call);
      case 'leave':
        return this.#leave(call.consumer);
      case 'readOpen':
        this.#readers.set(call.reader, transport.readPartition(call.topic, call.partition, call.options)[Symbol.asyncIterator]());
        return undefined;
      case 'readNext': {
        const batch = await this.#readNext(call.reader);
        return batch === null ? null : pack(batch);
      }
      case 'readClose':
        return this.#readClose(call.reader);
      case 'extra': {
        const extra = this.extras[call.name];
        if (extra === undefined) throw new Error(`No call ${call.name} is served on this port`);
        return extra();
      }
    }
  }

  /** A consumer's callback, handed to the other side; settles when its handler has. */
  #handOver(callback: Callback): Promise<void> {
    return this.#link.request<void>((id) => ({ t: 'callback', id, callback }), callback.kind === 'batch' ? callback.records.values.data : undefined);
  }

  #subscribe(call: Extract<Call, { op: 'subscribe' }>): Promise<void> {
    const consumer = call.consumer;
    const joining = this.transport.subscribe({
      groupId: call.groupId,
      topics: call.topics,
      ...(call.from === undefined ? {} : { from: call.from }),
      ...(call.maxBatch === undefined ? {} : { maxBatch: call.maxBatch }),
      onBatch: (records) => this.#handOver({ kind: 'batch', consumer, records: pack(records) }),
      onAssign: (partitions) => this.#handOver({ kind: 'assign', consumer, partitions }),
      onRevoke: (partitions) => this.#handOver({ kind: 'revoke', consumer, partitions }),
      onError: (error) => this.#link.send({ t: 'consumerError', consumer, error: toWire(error) }),
    });
    const entry: ServedConsumer = { joining };
    this.#consumers.set(consumer, entry);
    return joining.then(
      (member) => {
        entry.member = member;
      },
      (error: unknown) => {
        this.#consumers.delete(consumer);
        throw error;
      },
    );
  }

  #commit(call: Extract<Call, { op: 'commit' }>): Promise<void> {
    const produce = call.produce === undefined ? undefined : unpack(call.produce);
    const entry = this.#consumers.get(call.consumer);
    if (entry === undefined) return Promise.reject(new TransportError(TransportErrorReason.Closed, `No consumer ${call.consumer} on this port: it left the group`));
    if (entry.member !== undefined) return entry.member.commit(call.offsets, produce);
    return entry.joining.then((member) => member.commit(call.offsets, produce));
  }

  async #leave(id: number): Promise<void> {
    const entry = this.#consumers.get(id);
    this.#consumers.delete(id);
    if (entry !== undefined) await (await entry.joining).close();
  }

  async #readNext(id: number): Promise<ConsumedRecord[] | null> {
    const reader = this.#readers.get(id);
    if (reader === undefined) throw new TransportError(TransportErrorReason.Closed, `No read ${id} on this port`);
    const next = await reader.next();
    if (next.done) {
      this.#readers.delete(id);
      return null;
    }
    return next.value;
  }

  async #readClose(id: number): Promise<void> {
    const reader = this.#readers.get(id);
    this.#readers.delete(id);
    await reader?.return?.();
  }
}

/** A consumer whose group membership is held on the bus's thread. */
class ForwardedConsumer implements Consumer {
  #owned = new Map<string, TopicPartition>();

  constructor(
    readonly groupId: string,
    private readonly id: number,
    private readonly options: SubscribeOptions,
    private readonly transport: ForwardedTransport,
  ) {}

  assignments(): TopicPartition[] {
    return [...this.#owned.values()];
  }

  commit(offsets: OffsetCommit[], produce?: ProduceRecord[]): Promise<void> {
    return this.transport.call({ op: 'commit', consumer: this.id, offsets, ...(produce === undefined ? {} : { produce: pack(produce) }) });
  }

  close(): Promise<void> {
    return this.transport.leave(this.id);
  }

  async handle(callback: Callback): Promise<void> {
    if (callback.kind === 'batch') return this.options.onBatch(unpack(callback.records));
    const key = (tp: TopicPartition): string => partitionKey(tp.topic, tp.partition);
    if (callback.kind === 'assign') {
      this.#owned = new Map(callback.partitions.map((tp) => [key(tp), tp]));
      await this.options.onAssign?.(callback.partitions);
      return;
    }
    await this.options.onRevoke?.(callback.partitions);
    for (const tp of callback.partitions) this.#owned.delete(key(tp));
  }

  failed(error: Error): void {
    this.options.onError?.(error);
  }
}

/** The role's side of `serveTransport`. `close()` leaves its groups; the bus itself stays open. */
export class ForwardedTransport implements Transport {
  readonly #link: Link;
  readonly #consumers = new Map<number, ForwardedConsumer>();
  #stats: WriteStats = { writes: 0, records: 0, requests: 0, queuedMs: 0, requestMs: 0 };
  #next = 1;

  /** `kind` and `atomicCommit` are those of the transport served on the other side. */
  constructor(
    port: MessagePort,
    readonly kind: string,
    readonly atomicCommit: boolean,
  ) {
    this.#link = new Link(port, (part) => this.#onPart(part), { onStats: (stats) => (this.#stats = stats) });
  }

  call<T>(call: Call): Promise<T> {
    const packed = call.op === 'produce' ? call.records : call.op === 'commit' ? call.produce : undefined;
    return this.#link.request<T>((id) => ({ t: 'call', id, call }), packed?.values.data);
  }

  /** A named call that the bus's thread serves besides the bus (see `Extras`). */
  extra<T>(name: string): Promise<T> {
    return this.call<T>({ op: 'extra', name });
  }

  ensureTopics(specs: TopicSpec[]): Promise<void> {
    return this.call({ op: 'ensureTopics', specs });
  }

  partitionCount(topic: string): Promise<number> {
    return this.call({ op: 'partitionCount', topic });
  }

  produce(records: ProduceRecord[]): Promise<RecordMetadata[]> {
    return this.call({ op: 'produce', records: pack(records) });
  }

  endOffsets(topic: string): Promise<number[]> {
    return this.call({ op: 'endOffsets', topic });
  }

  committedOffsets(groupId: string, topic: string): Promise<number[]> {
    return this.call({ op: 'committedOffsets', groupId, topic });
  }

  async subscribe(options: SubscribeOptions): Promise<Consumer> {
    const id = this.#next++;
    const consumer = new ForwardedConsumer(options.groupId, id, options, this);
    // Known before the call goes: the bus's thread may hand over the assignment before the join resolves.
    this.#consumers.set(id, consumer);
    try {
      await this.call({
        op: 'subscribe',
        consumer: id,
        groupId: options.groupId,
        topics: options.topics,
        ...(options.from === undefined ? {} : { from: options.from }),
        ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
      });
    } catch (error) {
      this.#consumers.delete(id);
      throw error;
    }
    return consumer;
  }

  async leave(id: number): Promise<void> {
    if (!this.#consumers.has(id)) return;
    await this.call({ op: 'leave', consumer: id });
    this.#consumers.delete(id);
  }

  async *readPartition(topic: string, partition: number, options?: ReadOptions): AsyncIterable<ConsumedRecord[]> {
    const reader = this.#next++;
    await this.call({ op: 'readOpen', reader, topic, partition, ...(options === undefined ? {} : { options }) });
    let done = false;
    try {
      for (;;) {
        const batch = await this.call<PackedRecords<ConsumedRecord> | null>({ op: 'readNext', reader });
        if (batch === null) {
          done = true;
          return;
        }
        yield unpack(batch);
      }
    } finally {
      if (!done) await this.call({ op: 'readClose', reader }).catch(() => undefined);
    }
  }

  writeStats(): WriteStats {
    return { ...this.#stats };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#consumers.keys()].map((id) => this.leave(id)));
    this.#link.close();
  }

  #onPart(part: Part): void {
    if (part.t === 'callback') {
      const consumer = this.#consumers.get(part.callback.consumer);
      const settled = consumer === undefined ? Promise.reject(new Error(`No consumer ${part.callback.consumer} on this side`)) : consumer.handle(part.callback);
      this.#link.answer(part.id, settled);
    } else if (part.t === 'consumerError') {
      this.#consumers.get(part.consumer)?.failed(fromWire(part.error));
    }
  }
}
