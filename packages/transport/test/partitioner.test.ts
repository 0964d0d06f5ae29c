import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { murmur2 as clientMurmur2 } from '@platformatic/kafka';
import { murmur2, partitionFor } from '../src/partitioner.js';

/**
 * (key, partitions) -> partition, computed by Apache Kafka 4.1 itself
 * (`Utils.toPositive(Utils.murmur2(key.getBytes(UTF_8))) % n`, kafka-clients 4.1.1).
 */
const JAVA_VALUES: Array<[key: string, n3: number, n12: number, n16: number, n100: number]> = [
  ['', 0, 9, 9, 81],
  ['a', 1, 4, 12, 24],
  ['ab', 2, 2, 10, 34],
  ['abc', 0, 3, 11, 7],
  ['abcd', 2, 8, 4, 0],
  ['run-1', 1, 1, 13, 37],
  ['3f2b8c1e-6a7d-4c1a-9e2f-0b1c2d3e4f5a', 2, 11, 15, 87],
  ['runId:stepId', 2, 8, 12, 48],
  ['héllo wörld ✓', 2, 8, 8, 52],
  ['orchestrator-lite', 1, 7, 7, 35],
  ['key-42', 0, 3, 7, 27],
  ['🙂emoji', 1, 4, 8, 12],
];

void test('partitionFor matches the Java client default partitioner', () => {
  for (const [key, n3, n12, n16, n100] of JAVA_VALUES) {
    assert.deepEqual(
      [partitionFor(key, 3), partitionFor(key, 12), partitionFor(key, 16), partitionFor(key, 100)],
      [n3, n12, n16, n100],
      `key ${JSON.stringify(key)}`,
    );
  }
});

void test('partitionFor with one partition is always 0', () => {
  for (const [key] of JAVA_VALUES) assert.equal(partitionFor(key, 1), 0);
});

void test('partitionFor rejects a partition count that is not a positive integer', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => partitionFor('k', bad), /partitions must be a positive integer/);
  }
});

void test('murmur2 hashes any bytes as the Kafka client does, and partitionFor any string', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => murmur2(bytes) === clientMurmur2(Buffer.from(bytes))),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 1, max: 1000 }), (key, n) => partitionFor(key, n) === (clientMurmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % n),
    { numRuns: 2000 },
  );
});

void test('a key longer than the hashing buffer hashes as a short one would', () => {
  const long = 'x'.repeat(5000) + 'é';
  assert.equal(partitionFor(long, 1000), (clientMurmur2(Buffer.from(long, 'utf8')) & 0x7fffffff) % 1000);
  assert.equal(partitionFor('abc', 3), 0);
});
