import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { TestContext } from 'node:test';
import type { ConsumedRecord, Consumer, SubscribeOptions, TopicPartition, Transport } from '../types.js';
import type { ConformanceFactory } from './factory.js';

export const DEFAULT_TIMEOUT_MS = 20_000;

/** A random name, so tests never share topics or groups (also on a shared cluster). */
export function uniqueName(kind: string): string {
  return `conf-${kind}-${randomUUID()}`;
}

/**
 * Resolves when `predicate` holds. It is checked at once, on every `change` event of `changes`
 * and on a short tick; after `timeoutMs` the wait fails with `label` in the message.
 */
export function waitFor(predicate: () => boolean, label: string, timeoutMs: number, changes?: EventEmitter): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearInterval(tick);
      clearTimeout(timer);
      changes?.off('change', check);
      if (error === undefined) resolve();
      else reject(error);
    };
    const check = (): void => {
      try {
        if (predicate()) finish();
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const tick = setInterval(check, 20);
    const timer = setTimeout(() => finish(new Error(`Timed out after ${timeoutMs} ms waiting for ${label}`)), timeoutMs);
    changes?.on('change', check);
    check();
  });
}

export type GroupEvent = { type: 'assign' | 'revoke'; partitions: TopicPartition[] };

/** Records what a consumer sees: its batches, its assignments and revocations, its errors. */
export class Inbox {
  readonly records: ConsumedRecord[] = [];
  readonly batches: ConsumedRecord[][] = [];
  readonly events: GroupEvent[] = [];
  readonly errors: Error[] = [];
  readonly changes = new EventEmitter();

  /** Subscribe options that feed this inbox; `onBatch` may be wrapped to add behaviour. */
  options(groupId: string, topics: string[], extra: Partial<SubscribeOptions> = {}): SubscribeOptions {
    return {
      groupId,
      topics,
      onBatch: async (batch) => {
        this.batches.push(batch);
        this.records.push(...batch);
        this.changes.emit('change');
      },
      onAssign: (partitions) => {
        this.events.push({ type: 'assign', partitions });
        this.changes.emit('change');
      },
      onRevoke: (partitions) => {
        this.events.push({ type: 'revoke', partitions });
        this.changes.emit('change');
      },
      onError: (error) => {
        this.errors.push(error);
        this.changes.emit('change');
      },
      ...extra,
    };
  }

  of(topic: string, partition: number): ConsumedRecord[] {
    return this.records.filter((r) => r.topic === topic && r.partition === partition);
  }

  until(predicate: () => boolean, label: string, timeoutMs: number): Promise<void> {
    return waitFor(() => {
      if (this.errors.length > 0) throw new Error(`consumer failed while waiting for ${label}: ${this.errors[0]?.message}`);
      return predicate();
    }, label, timeoutMs, this.changes);
  }
}

/** The shared state of one suite run. */
export class SuiteContext {
  readonly timeoutMs: number;
  private readonly cleanups = new WeakMap<TestContext, Array<() => Promise<void>>>();

  constructor(readonly factory: ConformanceFactory) {
    this.timeoutMs = factory.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async transport(t: TestContext): Promise<Transport> {
    const transport = await this.factory.create(t);
    this.defer(t, () => transport.close());
    return transport;
  }

  /** An independent client of the same bus, or another `create()` when the factory has no peer. */
  async peer(t: TestContext): Promise<Transport> {
    const transport = await (this.factory.createPeer ?? this.factory.create).call(this.factory, t);
    this.defer(t, () => transport.close());
    return transport;
  }

  async subscribe(t: TestContext, transport: Transport, options: SubscribeOptions): Promise<Consumer> {
    const consumer = await transport.subscribe(options);
    this.defer(t, () => consumer.close());
    return consumer;
  }

  /** Runs `cleanup` after the test, last registered first (consumers close before their transport). */
  defer(t: TestContext, cleanup: () => Promise<void>): void {
    let stack = this.cleanups.get(t);
    if (stack === undefined) {
      const created: Array<() => Promise<void>> = [];
      stack = created;
      this.cleanups.set(t, created);
      t.after(async () => {
        for (const fn of created.reverse()) await fn();
      });
    }
    stack.push(cleanup);
  }
}

export async function readAll(transport: Transport, topic: string, partition: number, options?: { from?: number; to?: number }): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  for await (const batch of transport.readPartition(topic, partition, options)) out.push(...batch);
  return out;
}

export function offsetsOf(records: ConsumedRecord[]): number[] {
  return records.map((r) => r.offset);
}

export function range(from: number, toExclusive: number): number[] {
  return Array.from({ length: Math.max(0, toExclusive - from) }, (_, i) => from + i);
}

export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}/${tp.partition}`;
}
