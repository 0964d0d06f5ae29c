/**
 * The embedded log keeps the records of a topic that is not compacted in batches, one row for the
 * records a group commit appended to a partition: what is read back from the file, after a
 * restart (no records in memory), is what was written, from any offset; a file written with a
 * row per record is batched when it opens.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { createEmbeddedTransport } from '../../src/embedded/index.js';
import { BATCH_MAX_BYTES, BATCH_MAX_RECORDS, decodeBatch, encodeBatch } from '../../src/embedded/record-batch.js';
import type { ConsumedRecord } from '../../src/types.js';
import { readAll } from '../../src/conformance/helpers.js';
import { tempDataDir } from './temp-dirs.js';

const v = (s: string): Buffer => Buffer.from(s);

void test('a batch gives back its records: keys, values (null too), headers, offsets and time', () => {
  const record = fc.record({
    key: fc.string({ unit: 'binary', maxLength: 40 }),
    value: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
    headers: fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 20 }), { maxKeys: 3, noNullPrototype: true }), { nil: undefined }),
  });
  fc.assert(
    fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), fc.nat(1_000_000), (records, baseOffset) => {
      const out: ConsumedRecord[] = [];
      const span = { topic: 't', partition: 3, baseOffset, timestamp: 1234 };
      decodeBatch(encodeBatch(records), span, { from: 0, to: Infinity, maxRecords: Infinity, maxBytes: Infinity }, out);
      assert.deepEqual(
        out,
        records.map((r, i) => ({ topic: 't', partition: 3, offset: baseOffset + i, key: r.key, value: r.value === null ? null : Buffer.from(r.value), headers: r.headers ?? {}, timestamp: 1234 })),
      );
    }),
  );
});

void test('a batch is read from any offset, up to a bound, a record count and a byte count', () => {
  const records = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: Buffer.alloc(10, i) }));
  const blob = encodeBatch(records);
  const span = { topic: 't', partition: 0, baseOffset: 100, timestamp: 1 };
  const read = (from: number, to: number, maxRecords: number, maxBytes: number): number[] => {
    const out: ConsumedRecord[] = [];
    decodeBatch(blob, span, { from, to, maxRecords, maxBytes }, out);
    return out.map((r) => r.offset);
  };
  assert.deepEqual(read(103, 106, 100, Infinity), [103, 104, 105]);
  assert.deepEqual(read(0, 1000, 2, Infinity), [100, 101]);
  // 12 bytes a record (key and value): the record that reaches the count is the last.
  assert.deepEqual(read(105, 1000, 100, 20), [105, 106]);
  assert.deepEqual(read(109, 1000, 100, 1), [109], 'at least one record');
  assert.deepEqual(read(110, 1000, 100, Infinity), []);
});

void test('a group commit is one row a partition, split at the record and byte limits; after a restart every offset reads back', async () => {
  const dataDir = tempDataDir();
  const first = createEmbeddedTransport({ dataDir, compactionIntervalMs: 0 });
  await first.ensureTopics([{ name: 'log', partitions: 2 }]);
  const many = 2 * BATCH_MAX_RECORDS + 22;
  await first.produce(Array.from({ length: many }, (_, i) => ({ topic: 'log', partition: 0, key: `a${i}`, value: v(`value ${i}`), headers: { n: String(i) } })));
  await first.produce([
    { topic: 'log', partition: 0, key: 'tomb', value: null },
    { topic: 'log', partition: 1, key: 'b0', value: v('b0') },
  ]);
  const big = Buffer.alloc(Math.ceil(BATCH_MAX_BYTES * 0.6), 7);
  await first.produce([0, 1, 2].map((i) => ({ topic: 'log', partition: 1, key: `big${i}`, value: big })));
  await first.close();

  const db = new Database(join(dataDir, 'bus.db'), { readonly: true });
  try {
    const rows = db.prepare<[], { partition: number; base_offset: number; last_offset: number }>('SELECT "partition", base_offset, last_offset FROM batches ORDER BY "partition", last_offset').all();
    assert.deepEqual(
      rows.map((r) => [r.partition, r.base_offset, r.last_offset]),
      [
        [0, 0, BATCH_MAX_RECORDS - 1],
        [0, BATCH_MAX_RECORDS, 2 * BATCH_MAX_RECORDS - 1],
        [0, 2 * BATCH_MAX_RECORDS, many - 1],
        [0, many, many],
        [1, 0, 0],
        [1, 1, 1],
        [1, 2, 2],
        [1, 3, 3],
      ],
    );
  } finally {
    db.close();
  }

  const second = createEmbeddedTransport({ dataDir, compactionIntervalMs: 0 });
  try {
    assert.deepEqual(await second.endOffsets('log'), [many + 1, 4]);
    const all = await readAll(second, 'log', 0);
    assert.equal(all.length, many + 1);
    all.slice(0, many).forEach((r, i) => {
      assert.deepEqual([r.offset, r.key, r.value?.toString(), r.headers], [i, `a${i}`, `value ${i}`, { n: String(i) }]);
    });
    assert.deepEqual([all[many]!.key, all[many]!.value, all[many]!.headers], ['tomb', null, {}]);
    const middle = await readAll(second, 'log', 0, { from: BATCH_MAX_RECORDS - 3, to: 2 * BATCH_MAX_RECORDS + 5 });
    assert.deepEqual(
      middle.map((r) => r.offset),
      Array.from({ length: BATCH_MAX_RECORDS + 8 }, (_, i) => BATCH_MAX_RECORDS - 3 + i),
    );
    const bigs = await readAll(second, 'log', 1, { from: 1 });
    assert.deepEqual(
      bigs.map((r) => [r.key, r.value?.equals(big)]),
      [0, 1, 2].map((i) => [`big${i}`, true]),
    );
    const [next] = await second.produce([{ topic: 'log', partition: 0, key: 'after', value: v('after') }]);
    assert.equal(next?.offset, many + 1, 'offsets go on from the last batch');
  } finally {
    await second.close();
  }
});

void test('a file that holds a row per record is batched when it opens, and nothing in it is lost', async () => {
  const dataDir = tempDataDir();
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'bus.db');
  const legacy = new Database(file);
  legacy.exec(`
    CREATE TABLE topics (name TEXT PRIMARY KEY, partitions INTEGER NOT NULL, compacted INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE records (topic TEXT NOT NULL, "partition" INTEGER NOT NULL, "offset" INTEGER NOT NULL, key TEXT NOT NULL, value BLOB, headers TEXT NOT NULL, timestamp INTEGER NOT NULL, PRIMARY KEY (topic, "partition", "offset"));
    INSERT INTO topics VALUES ('log', 2, 0), ('state', 1, 1);
  `);
  const insert = legacy.prepare('INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)');
  for (let i = 0; i < 1500; i++) insert.run('log', i % 2, Math.floor(i / 2), `k${i}`, v(`v${i}`), i === 7 ? '{"trace":"t7"}' : '{}', 1000 + i);
  insert.run('state', 0, 0, 'run-1', v('s0'), '{}', 5);
  legacy.close();

  const transport = createEmbeddedTransport({ dataDir, compactionIntervalMs: 0 });
  try {
    assert.deepEqual(await transport.endOffsets('log'), [750, 750]);
    const odd = await readAll(transport, 'log', 1);
    assert.equal(odd.length, 750);
    odd.forEach((r, j) => assert.deepEqual([r.offset, r.key, r.value?.toString(), r.timestamp], [j, `k${2 * j + 1}`, `v${2 * j + 1}`, 1000 + 2 * j + 1]));
    assert.deepEqual(odd[3]!.headers, { trace: 't7' });
    assert.deepEqual(
      (await readAll(transport, 'state', 0)).map((r) => r.key),
      ['run-1'],
      'a compacted topic keeps its rows',
    );
    const [next] = await transport.produce([{ topic: 'log', partition: 0, key: 'new', value: v('new') }]);
    assert.equal(next?.offset, 750);
  } finally {
    await transport.close();
  }
  const db = new Database(file, { readonly: true });
  try {
    assert.deepEqual(db.prepare('SELECT topic, count(*) AS n FROM records GROUP BY topic').all(), [{ topic: 'state', n: 1 }]);
  } finally {
    db.close();
  }
});
