import { murmur2 } from '@platformatic/kafka';

/** Keys whose hash is kept: a run's id keys several records a step (its events, its results). */
const HASHES_KEPT = 8192;
const hashes = new Map<string, number>();

/** `toPositive(murmur2(utf8(key)))`, remembered for the keys seen last (the map starts over when full). */
function keyHash(key: string): number {
  let hash = hashes.get(key);
  if (hash === undefined) {
    hash = murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff;
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
  return keyHash(key) % partitions;
}
