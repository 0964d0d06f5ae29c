import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  OrchError,
  containsClaimCheck,
  PAYLOAD_DEFAULTS,
  formatRef,
  isClaimCheck,
  parseRef,
  payloadBytes,
  payloadUnreadable,
  sha256Hex,
} from '@orchestrator-lite/core';
import type { ClaimCheck, PayloadRef } from '@orchestrator-lite/core';
import { partitionFor } from './partitioner.js';
import type { ConsumedRecord, Transport } from './types.js';

export interface PayloadStoreOptions {
  /** The compacted payloads topic (`topicNames(prefix).payloads`). */
  topic: string;
  /** Above this many bytes of JSON a value is claim-checked. @default 256 KiB */
  inlineBytes?: number;
  /** Bytes per chunk record; keep it well under the broker's record limit. @default 256 KiB */
  chunkBytes?: number;
}

/** What a payload store uses of a transport. */
export type PayloadTransport = Pick<Transport, 'produce' | 'partitionCount' | 'readPartition'>;

const HEADER_BYTES = 'payload-bytes';
const HEADER_SHA = 'payload-sha256';
const HEADER_CHUNKS = 'payload-chunks';
const HEADER_OWNER = 'payload-owner';

/** What the chunks of a payload say of it. */
export interface PayloadInfo {
  /** The run whose expiry tombstones it; absent on a payload written without one. */
  owner?: string;
  chunks: number;
}

/**
 * Writes and reads claim-checked payloads on the payloads topic (see core's `payload.ts`).
 *
 * A payload's chunks go to one partition, each produced alone: the transport never merges a
 * record of this size with another, so no batch the broker sees exceeds one chunk by much. Other
 * records may land between them; the ref spans the first to the last chunk and the reader keeps
 * the records keyed `<id>/<index>`. Every chunk carries the payload's length and sha256 in its
 * headers, so a reader that has only the ref (a URL) verifies it too.
 */
export class PayloadStore {
  readonly topic: string;
  readonly inlineBytes: number;
  readonly chunkBytes: number;
  readonly #transport: PayloadTransport;
  #partitions: number | undefined;

  constructor(transport: PayloadTransport, options: PayloadStoreOptions) {
    this.#transport = transport;
    this.topic = options.topic;
    this.inlineBytes = options.inlineBytes ?? PAYLOAD_DEFAULTS.inlineBytes;
    this.chunkBytes = options.chunkBytes ?? PAYLOAD_DEFAULTS.chunkBytes;
  }

  /** The value itself when its JSON is within the inline limit; else a claim-check to it, owned by `owner`. */
  async claim(value: unknown, owner: string, bytes: Buffer = payloadBytes(value)): Promise<unknown> {
    if (bytes.length <= this.inlineBytes) return value;
    return { $payload: await this.write(bytes, owner) } satisfies ClaimCheck;
  }

  /** Writes bytes as chunks owned by `owner`; resolves once every chunk is durable. */
  async write(bytes: Buffer, owner: string): Promise<PayloadRef> {
    const id = randomUUID();
    this.#partitions ??= await this.#transport.partitionCount(this.topic);
    const partition = partitionFor(id, this.#partitions);
    const sha256 = sha256Hex(bytes);
    const count = Math.max(1, Math.ceil(bytes.length / this.chunkBytes));
    const headers = { [HEADER_BYTES]: String(bytes.length), [HEADER_SHA]: sha256, [HEADER_CHUNKS]: String(count), [HEADER_OWNER]: owner };
    // One produce call per chunk, all issued at once: the transport keeps their order per
    // partition and sends each on its own.
    const written = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        this.#transport.produce([{ topic: this.topic, key: `${id}/${i}`, value: bytes.subarray(i * this.chunkBytes, (i + 1) * this.chunkBytes), headers, partition }]),
      ),
    );
    const offsets = written.map((m) => m[0]!.offset);
    return { ref: formatRef({ partition, first: Math.min(...offsets), last: Math.max(...offsets), id }), bytes: bytes.length, sha256 };
  }

  /**
   * The bytes of a payload, verified against its sha256 (the claim's, or its chunks' headers).
   * Throws ORCH_PAYLOAD_UNREADABLE naming the ref when chunks are missing or do not match, and
   * ORCH_NOT_FOUND for a string that is not a ref.
   */
  async read(ref: string | PayloadRef): Promise<Buffer> {
    const expected = typeof ref === 'string' ? undefined : ref;
    const name = typeof ref === 'string' ? ref : ref.ref;
    const parsed = parseRef(name);
    if (parsed === undefined) throw new OrchError(ErrorCode.NotFound, `payload ${JSON.stringify(name.slice(0, 200))} is not a payload ref`, { ref: name });
    this.#partitions ??= await this.#transport.partitionCount(this.topic);
    if (parsed.partition >= this.#partitions) throw payloadUnreadable(name, `partition ${parsed.partition} does not exist`, true);
    const chunks = new Map<number, ConsumedRecord>();
    const prefix = `${parsed.id}/`;
    for await (const batch of this.#transport.readPartition(this.topic, parsed.partition, { from: parsed.first, to: parsed.last + 1 })) {
      for (const r of batch) {
        if (!r.key.startsWith(prefix) || r.value === null) continue;
        chunks.set(Number(r.key.slice(prefix.length)), r);
      }
    }
    const first = chunks.get(0);
    if (first === undefined) throw payloadUnreadable(name, 'no chunk of it is on the payloads topic (expired or never written)', true);
    const count = Number(first.headers[HEADER_CHUNKS]);
    const bytes = expected?.bytes ?? Number(first.headers[HEADER_BYTES]);
    const sha256 = expected?.sha256 ?? first.headers[HEADER_SHA];
    const parts: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const chunk = chunks.get(i);
      if (chunk?.value == null) throw payloadUnreadable(name, `chunk ${i} of ${count} is missing`);
      parts.push(chunk.value);
    }
    const whole = Buffer.concat(parts);
    if (whole.length !== bytes) throw payloadUnreadable(name, `its chunks hold ${whole.length} bytes, not ${bytes}`);
    if (sha256Hex(whole) !== sha256) throw payloadUnreadable(name, 'its bytes do not match its sha256 (a chunk is corrupt)');
    return whole;
  }

  /** The value a claim-check stands for. */
  async get(claim: ClaimCheck): Promise<unknown> {
    const bytes = await this.read(claim.$payload);
    return JSON.parse(bytes.toString('utf8')) as unknown;
  }

  /**
   * What the chunks of a payload say of it, read from the one record at the ref's first offset
   * (every chunk carries the same headers); undefined when that record is gone or is not a chunk
   * of it.
   */
  async inspect(ref: string): Promise<PayloadInfo | undefined> {
    const parsed = parseRef(ref);
    if (parsed === undefined) return undefined;
    for await (const batch of this.#transport.readPartition(this.topic, parsed.partition, { from: parsed.first, to: parsed.first + 1 })) {
      const chunk = batch.find((r) => r.offset === parsed.first);
      if (chunk === undefined || chunk.value === null || !chunk.key.startsWith(`${parsed.id}/`)) return undefined;
      const owner = chunk.headers[HEADER_OWNER];
      return { chunks: Number(chunk.headers[HEADER_CHUNKS]), ...(owner === undefined ? {} : { owner }) };
    }
    return undefined;
  }

  /** The tombstones of a payload's chunks. */
  tombstones(ref: string, chunks: number): { topic: string; key: string; value: null; partition: number }[] {
    const parsed = parseRef(ref);
    if (parsed === undefined) return [];
    return Array.from({ length: chunks }, (_, i) => ({ topic: this.topic, key: `${parsed.id}/${i}`, value: null, partition: parsed.partition }));
  }

  /**
   * A copy of `value` in which every claim-check owned by another run is replaced by a copy of
   * its payload owned by `owner`; a value without claim-checks comes back as is.
   */
  async adopt(value: unknown, owner: string): Promise<unknown> {
    return mapClaimChecks(value, async (claim) => {
      if ((await this.inspect(claim.$payload.ref))?.owner === owner) return claim;
      return { $payload: await this.write(await this.read(claim.$payload), owner) } satisfies ClaimCheck;
    });
  }

  /** A copy of `value` with every claim-check in it replaced by its value (fetched once each). */
  async resolve(value: unknown): Promise<unknown> {
    return mapClaimChecks(value, (claim) => this.get(claim));
  }
}

/** A copy of `value` with every claim-check in it replaced by what `replace` gives for it; a value without one, as it is. */
async function mapClaimChecks(value: unknown, replace: (claim: ClaimCheck) => Promise<unknown>): Promise<unknown> {
  if (!containsClaimCheck(value)) return value;
  if (isClaimCheck(value)) return replace(value);
  if (Array.isArray(value)) return Promise.all(value.map((v) => mapClaimChecks(v, replace)));
  if (typeof value === 'object' && value !== null) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await mapClaimChecks(v, replace)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}
