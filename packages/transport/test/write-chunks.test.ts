import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkGroups, recordBytes } from '../src/index.js';
import type { ProduceRecord } from '../src/index.js';

const record = (key: string, bytes: number): ProduceRecord => ({ topic: 't', key, value: Buffer.alloc(bytes - key.length) });

void test('chunks hold whole groups, in order, up to the limit; a larger group is a chunk of its own', () => {
  const a = [record('a1', 400), record('a2', 400)];
  const b = [record('b1', 300)];
  const c = [record('c1', 900), record('c2', 900)];
  const d = [record('d1', 100)];
  const chunks = chunkGroups([a, b, c, d], 1000);
  assert.deepEqual(chunks.map((chunk) => chunk.map((r) => r.key)), [['a1', 'a2'], ['b1'], ['c1', 'c2'], ['d1']]);
  assert.equal(recordBytes(a[0]!), 400);
  for (const chunk of chunks) {
    const bytes = chunk.reduce((n, r) => n + recordBytes(r), 0);
    assert.ok(bytes <= 1000 || chunk.length === 2, 'only a group over the limit makes a chunk over it');
  }
  assert.deepEqual(chunkGroups([]), [[]], 'an empty write is one empty chunk');
});
