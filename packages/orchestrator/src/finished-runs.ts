import { TERMINAL_RUN_STATUSES } from '@orchestrator-lite/core';
import type { RunStatus } from '@orchestrator-lite/core';

/** What a partition keeps of a run that has ended: enough to retry it (reloaded on demand) and to expire it. */
export interface FinishedRun {
  status: RunStatus;
  /** When it ended, epoch ms. */
  at: number;
  digest: string;
  /** Its input or an output holds a claim-check: its expiry looks for payloads to tombstone. */
  payloads: boolean;
  /** Its header is all it has on `orch.state` (it began and ended in one snapshot): its expiry tombstones that key alone. */
  headerOnly: boolean;
}

const STATUSES = [...TERMINAL_RUN_STATUSES] as RunStatus[];
const STATUS_CODE = new Map(STATUSES.map((s, i) => [s, i]));

// One entry in the arena: flags, status, digest index, ended at, id length, id bytes.
const FLAG_ALIVE = 1;
const FLAG_PAYLOADS = 2;
const FLAG_UUID = 4;
const FLAG_HEADER_ONLY = 8;
const AT = 4; // after flags (u8), status (u8), digest (u16)
const ID_LENGTH = AT + 8;
const ID = ID_LENGTH + 2;
const MAX_ID_BYTES = 0xffff;
const EMPTY = 0;
/** The table is rebuilt, twice as large as its entries need, once more than 7 slots in 10 are taken. */
const MAX_LOAD_TENTHS = 7;
/** Where a run id is packed before it is compared or appended (the process is single-threaded). */
const scratch = Buffer.alloc(MAX_ID_BYTES);
const DELETED = -1;

/**
 * The runs a partition retains after they ended, at a few dozen bytes each (about 30 in the
 * arena for a UUID run id, plus its hash slot): entries are packed one after another in one
 * buffer, in the order they ended, and found through an open-addressed hash table of offsets.
 * A run id in the canonical UUID form is kept as its 16 bytes.
 *
 * A Map of run id to an object costs about 190 bytes a run (the id string alone about 60), which
 * at 100,000 retained runs a partition is most of an orchestrator's heap.
 */
export class FinishedRuns {
  #arena = Buffer.alloc(4096);
  #end = 0;
  #deadBytes = 0;
  #slots = new Int32Array(64);
  #used = 0; // slots holding an entry or a deletion marker
  #size = 0;
  readonly #digests: string[] = [];
  readonly #digestIndex = new Map<string, number>();

  get size(): number {
    return this.#size;
  }

  has(runId: string): boolean {
    return this.#find(runId) >= 0;
  }

  get(runId: string): FinishedRun | undefined {
    const slot = this.#find(runId);
    return slot < 0 ? undefined : this.#entryAt(this.#slots[slot]! - 1);
  }

  /** Records a run that ended; a run already here moves to the end, as the last to have ended. */
  set(runId: string, entry: FinishedRun): void {
    this.delete(runId);
    if ((this.#used + 1) * 10 > this.#slots.length * MAX_LOAD_TENTHS) this.#rehash(this.#size + 1);
    const idBytes = this.#packId(runId);
    const offset = this.#append(idBytes, entry);
    this.#insertSlot(offset, hashOf(scratch, idBytes));
    this.#size++;
  }

  delete(runId: string): boolean {
    const slot = this.#find(runId);
    if (slot < 0) return false;
    const offset = this.#slots[slot]! - 1;
    this.#arena[offset] = this.#arena[offset]! & ~FLAG_ALIVE;
    this.#deadBytes += ID + this.#arena.readUInt16LE(offset + ID_LENGTH);
    this.#slots[slot] = DELETED;
    this.#size--;
    if (this.#deadBytes > 65_536 && this.#deadBytes * 2 > this.#end) this.#compact();
    return true;
  }

  /** The retained runs in the order they ended (restored ones: in the order the restore met them). */
  *entries(): IterableIterator<[string, FinishedRun]> {
    const arena = this.#arena;
    const end = this.#end;
    for (let offset = 0; offset < end; offset = next(arena, offset)) {
      if ((arena[offset]! & FLAG_ALIVE) === 0) continue;
      yield [this.#idAt(offset), this.#entryAt(offset)];
    }
  }

  /** Bytes held, for diagnostics and the bench. */
  get bytes(): number {
    return this.#arena.length + this.#slots.byteLength;
  }

  #packId(runId: string): number {
    if (packUuid(runId)) return -16;
    if (Buffer.byteLength(runId, 'utf8') > MAX_ID_BYTES) throw new RangeError(`a run id of over ${MAX_ID_BYTES} bytes cannot be retained`);
    return scratch.write(runId, 0, 'utf8');
  }

  #append(idBytes: number, entry: FinishedRun): number {
    const length = Math.abs(idBytes);
    const need = ID + length;
    if (this.#end + need > this.#arena.length) this.#grow(need);
    const arena = this.#arena;
    const offset = this.#end;
    arena[offset] = FLAG_ALIVE | (entry.payloads ? FLAG_PAYLOADS : 0) | (idBytes < 0 ? FLAG_UUID : 0) | (entry.headerOnly ? FLAG_HEADER_ONLY : 0);
    arena[offset + 1] = STATUS_CODE.get(entry.status) ?? 0;
    arena.writeUInt16LE(this.#digestCode(entry.digest), offset + 2);
    arena.writeDoubleLE(entry.at, offset + AT);
    arena.writeUInt16LE(length, offset + ID_LENGTH);
    scratch.copy(arena, offset + ID, 0, length);
    this.#end += need;
    return offset;
  }

  #digestCode(digest: string): number {
    let code = this.#digestIndex.get(digest);
    if (code === undefined) {
      code = this.#digests.length;
      if (code > 0xffff) throw new RangeError('over 65,536 definitions retained on one partition');
      this.#digests.push(digest);
      this.#digestIndex.set(digest, code);
    }
    return code;
  }

  #grow(need: number): void {
    const size = Math.max(this.#end + need, Math.ceil(this.#arena.length * 1.25));
    const arena = Buffer.alloc(size);
    this.#arena.copy(arena, 0, 0, this.#end);
    this.#arena = arena;
  }

  /** The slot holding runId's entry, or -1. */
  #find(runId: string): number {
    if (this.#size === 0) return -1;
    const idBytes = this.#packId(runId);
    const length = Math.abs(idBytes);
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (let slot = hashOf(scratch, idBytes) & mask; ; slot = (slot + 1) & mask) {
      const value = slots[slot]!;
      if (value === EMPTY) return -1;
      if (value === DELETED) continue;
      const offset = value - 1;
      const arena = this.#arena;
      if (arena.readUInt16LE(offset + ID_LENGTH) === length && ((arena[offset]! & FLAG_UUID) !== 0) === idBytes < 0 && arena.compare(scratch, 0, length, offset + ID, offset + ID + length) === 0) {
        return slot;
      }
    }
  }

  #insertSlot(offset: number, hash: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let slot = hash & mask;
    while (slots[slot] !== EMPTY && slots[slot] !== DELETED) slot = (slot + 1) & mask;
    if (slots[slot] === EMPTY) this.#used++;
    slots[slot] = offset + 1;
  }

  /** A table sized for `entries` at most half full, without deletion markers. */
  #rehash(entries: number): void {
    let capacity = 64;
    while (capacity < entries * 2 + 2) capacity *= 2;
    this.#slots = new Int32Array(capacity);
    this.#used = 0;
    const arena = this.#arena;
    for (let offset = 0; offset < this.#end; offset = next(arena, offset)) {
      if ((arena[offset]! & FLAG_ALIVE) === 0) continue;
      const length = arena.readUInt16LE(offset + ID_LENGTH);
      this.#insertSlot(offset, hashRange(arena, offset + ID, length, (arena[offset]! & FLAG_UUID) !== 0));
    }
  }

  /** Drops the dead entries from the arena, keeping the order of the live ones. */
  #compact(): void {
    const from = this.#arena;
    const to = Buffer.alloc(Math.max(4096, Math.ceil((this.#end - this.#deadBytes) * 1.25)));
    let at = 0;
    for (let offset = 0; offset < this.#end; offset = next(from, offset)) {
      if ((from[offset]! & FLAG_ALIVE) === 0) continue;
      const length = next(from, offset) - offset;
      from.copy(to, at, offset, offset + length);
      at += length;
    }
    this.#arena = to;
    this.#end = at;
    this.#deadBytes = 0;
    this.#rehash(this.#size);
  }

  #idAt(offset: number): string {
    const length = this.#arena.readUInt16LE(offset + ID_LENGTH);
    if ((this.#arena[offset]! & FLAG_UUID) === 0) return this.#arena.toString('utf8', offset + ID, offset + ID + length);
    const hex = this.#arena.toString('hex', offset + ID, offset + ID + length);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  #entryAt(offset: number): FinishedRun {
    const arena = this.#arena;
    return {
      status: STATUSES[arena[offset + 1]!]!,
      at: arena.readDoubleLE(offset + AT),
      digest: this.#digests[arena.readUInt16LE(offset + 2)]!,
      payloads: (arena[offset]! & FLAG_PAYLOADS) !== 0,
      headerOnly: (arena[offset]! & FLAG_HEADER_ONLY) !== 0,
    };
  }
}

/** Writes a canonical lower-case UUID's 16 bytes to scratch; false (scratch undefined) for any other id. */
function packUuid(id: string): boolean {
  if (id.length !== 36) return false;
  let byte = 0;
  for (let i = 0; i < 36; i++) {
    const c = id.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false; // '-'
      continue;
    }
    const nibble = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (nibble < 0) return false;
    if (byte % 2 === 0) scratch[byte >> 1] = nibble << 4;
    else scratch[byte >> 1]! |= nibble;
    byte++;
  }
  return true;
}

function next(arena: Buffer, offset: number): number {
  return offset + ID + arena.readUInt16LE(offset + ID_LENGTH);
}

/** FNV-1a over the packed id in scratch; idBytes < 0 marks a packed UUID of -idBytes bytes. */
function hashOf(scratch: Buffer, idBytes: number): number {
  return hashRange(scratch, 0, Math.abs(idBytes), idBytes < 0);
}

function hashRange(bytes: Buffer, start: number, length: number, uuid: boolean): number {
  let h = uuid ? 0x811c9dc5 ^ 0x55 : 0x811c9dc5;
  for (let i = start; i < start + length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  // Spread the low bits the mask keeps.
  h ^= h >>> 15;
  return h >>> 0;
}
