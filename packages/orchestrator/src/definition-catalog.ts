/**
 * The workflow definitions a child run (or a `RunStarter`) may start, read from the compacted
 * `definitions` topic, where the first claim of a version wins, as in the gateway's registry.
 * A lookup first reads what was appended since the previous one (from the remembered offset to
 * the current end), so a version registered a moment ago is found, and a steady state costs one
 * end-offset query per lookup; with `maxAgeMs`, a lookup that what was read answers costs none
 * until it is that old.
 */
import { RegisteredVersions, decodeRegistered } from '@orchestrator-lite/core';
import type { RegisteredWorkflow } from '@orchestrator-lite/core';
import type { Transport } from '@orchestrator-lite/transport';

export interface DefinitionCatalogOptions {
  /**
   * How long what was read answers a lookup it holds the answer to without reading again: a
   * lookup of what it does not hold reads at once. On Kafka a read asks the broker for the end
   * offsets, a round trip per lookup. @default 0 (every lookup reads)
   */
  maxAgeMs?: number;
  now?: () => number;
}

export class DefinitionCatalog {
  readonly #versions = new RegisteredVersions();
  readonly #next: number[] = [];
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #reading: Promise<void> | undefined;
  /** When the last read began: it holds what was appended before. */
  #readAt = -Infinity;

  constructor(
    private readonly transport: Transport,
    private readonly topic: string,
    options: DefinitionCatalogOptions = {},
  ) {
    this.#maxAgeMs = options.maxAgeMs ?? 0;
    this.#now = options.now ?? Date.now;
  }

  /** The given version, or the latest when `version` is absent; undefined when there is none. */
  async resolve(name: string, version?: number): Promise<RegisteredWorkflow | undefined> {
    const held = this.#find(name, version);
    if (held !== undefined && this.#now() - this.#readAt < this.#maxAgeMs) return held;
    await this.#catchUp();
    return this.#find(name, version);
  }

  #find(name: string, version: number | undefined): RegisteredWorkflow | undefined {
    return version === undefined ? this.#versions.latest(name) : this.#versions.get(name, version);
  }

  /** One read at a time: concurrent lookups share it. */
  async #catchUp(): Promise<void> {
    this.#reading ??= this.#read().finally(() => (this.#reading = undefined));
    await this.#reading;
  }

  async #read(): Promise<void> {
    const startedAt = this.#now();
    const ends = await this.transport.endOffsets(this.topic);
    for (const [partition, end] of ends.entries()) {
      const from = this.#next[partition] ?? 0;
      if (from >= end) continue;
      for await (const batch of this.transport.readPartition(this.topic, partition, { from, to: end })) {
        for (const record of batch) {
          this.#apply(record.key, record.value);
          this.#next[partition] = record.offset + 1;
        }
      }
      this.#next[partition] = Math.max(this.#next[partition] ?? 0, end);
    }
    this.#readAt = startedAt;
  }

  #apply(key: string, value: Buffer | null): void {
    if (value === null) {
      this.#versions.removeKey(key);
      return;
    }
    try {
      this.#versions.put(decodeRegistered(value));
    } catch {
      // The gateway dead-letters what it cannot decode; a lookup just skips it.
    }
  }
}
