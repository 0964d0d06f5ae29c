/** Keys whose hash is kept: a run's id keys several records a step (its events, its results). */
const HASHES_KEPT = 8192;
const hashes = new Map<string, number>();

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Where a key's UTF-8 bytes are written to be hashed; grown for a longer key. */
let scratch = Buffer.allocUnsafe(256);

/**
 * Kafka's `Utils.murmur2` over `bytes[0, length)`, in 32-bit integer arithmetic (`Math.imul`).
 * The client's own `murmur2` computes the same hash in BigInt arithmetic: about 1.4 µs a key and a
 * BigInt allocated at each step, against 0.05 µs and none here (a task's key is new at every step).
 * The tests check this one against it and against values computed by the Java client.
 */
export function murmur2(bytes: Uint8Array, length = bytes.length): number {
  let h = (SEED ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  switch (length & 3) {
    case 3:
      h ^= bytes[whole + 2]! << 16;
    // falls through
    case 2:
      h ^= bytes[whole + 1]! << 8;
    // falls through
    case 1:
      h ^= bytes[whole]!;
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h;
}

/** `toPositive(murmur2(utf8(key)))`, remembered for the keys seen last (the map starts over when full). */
function keyHash(key: string): number {
  let hash = hashes.get(key);
  if (hash === undefined) {
    // A UTF-16 unit is at most 3 UTF-8 bytes: room for that, and the write says how many it took.
    if (3 * key.length > scratch.length) scratch = Buffer.allocUnsafe(Math.max(3 * key.length, 2 * scratch.length));
    hash = murmur2(scratch, scratch.write(key, 0, 'utf8')) & 0x7fffffff;
    if (hashes.size >= HASHES_KEPT) hashes.clear();
    hashes.set(key, hash);
  }
  return hash;
}

/**
 * The partition of a keyed record: Kafka's Java default partitioner,
 * `toPositive(murmur2(utf8(key))) % partitions` with `toPositive(n) = n & 0x7fffffff`.
 *
 * Both transports use this function, so a key lands on the same partition on SQLite and on
 * Kafka, and co-partitioned topics stay co-partitioned across them. (Note that
 * `@platformatic/kafka`'s own `defaultPartitioner` uses `>>> 0`, which differs from Java for
 * negative hashes; its `compatibilityPartitioner` matches this function.)
 */
export function partitionFor(key: string, partitions: number): number {
  if (typeof key !== 'string') throw new TypeError(`partitionFor: key must be a string, got ${typeof key}`);
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`partitionFor: partitions must be a positive integer, got ${String(partitions)}`);
  }
  // One partition (the embedded bus's default): every key lands on it, with no hash to compute.
  return partitions === 1 ? 0 : keyHash(key) % partitions;
}
