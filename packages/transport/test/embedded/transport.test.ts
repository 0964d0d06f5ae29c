import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createEmbeddedTransport, TransportErrorReason } from '../../src/embedded/index.js';
import type { EmbeddedTransport } from '../../src/embedded/index.js';
import { Inbox, readAll, waitFor } from '../../src/conformance/helpers.js';
import { tempDataDir } from './temp-dirs.js';

type ReasonError = Error & { reason?: string };
const withReason = (reason: string, pattern?: RegExp) => (error: ReasonError): boolean =>
  error.reason === reason && (pattern === undefined || pattern.test(error.message));

async function open(t: { after(fn: () => Promise<void>): void }, options: { pollIntervalMs?: number } = {}): Promise<EmbeddedTransport> {
  const transport = createEmbeddedTransport({ dataDir: tempDataDir(), compactionIntervalMs: 0, ...options });
  t.after(() => transport.close());
  return transport;
}

void test('a paced compaction removes the same records, resting between slices; a share outside (0, 1] is refused', async (t) => {
  const transport = await open(t);
  await transport.ensureTopics([{ name: 'snap', partitions: 2, compacted: true }]);
  // Enough superseded records for many slices (a slice takes at most 200).
  for (let round = 0; round < 4; round++) {
    await transport.produce(Array.from({ length: 500 }, (_, i) => ({ topic: 'snap', key: `k${i}`, value: Buffer.from(`v${round}`) })));
  }
  let turns = 0;
  const ticker = setInterval(() => turns++, 1);
  const removed = await transport.compact({ share: 0.5 }).finally(() => clearInterval(ticker));
  assert.equal(removed, 1500, 'every record but the latest of each key');
  assert.ok(turns > 0, 'timers ran between the slices');
  const kept = [...(await readAll(transport, 'snap', 0)), ...(await readAll(transport, 'snap', 1))];
  assert.deepEqual(new Set(kept.map((r) => r.value?.toString())), new Set(['v3']));
  for (const share of [0, -1, 1.5, Number.NaN]) {
    await assert.rejects(transport.compact({ share }), withReason(TransportErrorReason.InvalidArgument, /share must be a number in \(0, 1\]/));
  }
});

void test('writes made while a compaction runs go between its slices, and none is lost', async (t) => {
  const transport = await open(t);
  await transport.ensureTopics([{ name: 'snap', partitions: 1, compacted: true }, { name: 'log', partitions: 1 }]);
  for (let round = 0; round < 4; round++) {
    await transport.produce(Array.from({ length: 500 }, (_, i) => ({ topic: 'snap', key: `k${i}`, value: Buffer.from(`v${round}`) })));
  }
  let compacting = true;
  const compaction = transport.compact({ share: 0.5 }).finally(() => (compacting = false));
  let duringCompaction = 0;
  for (let i = 0; i < 200; i++) {
    await transport.produce([
      { topic: 'log', key: 'l', value: Buffer.from(String(i)) },
      { topic: 'snap', key: `k${i}`, value: Buffer.from('v4') },
    ]);
    if (compacting) duringCompaction += 1;
  }
  const removed = await compaction;
  assert.ok(duringCompaction > 0, 'writes completed while the compaction was under way');
  assert.ok(removed >= 1500, `every record superseded before it began went (${removed})`);
  const log = await readAll(transport, 'log', 0);
  assert.deepEqual(
    log.map((r) => [r.offset, r.value?.toString()]),
    Array.from({ length: 200 }, (_, i) => [i, String(i)]),
  );
  await transport.compact();
  const latest = new Map((await readAll(transport, 'snap', 0)).map((r) => [r.key, r.value?.toString()]));
  assert.equal(latest.size, 500);
  for (let i = 0; i < 500; i++) assert.equal(latest.get(`k${i}`), i < 200 ? 'v4' : 'v3', `k${i}`);
});

void test('a close while a compaction runs writes what is queued, in the order produced', async () => {
  const dataDir = tempDataDir();
  const first = createEmbeddedTransport({ dataDir, compactionIntervalMs: 0 });
  await first.ensureTopics([{ name: 'snap', partitions: 1, compacted: true }, { name: 'log', partitions: 1 }]);
  for (let round = 0; round < 4; round++) {
    await first.produce(Array.from({ length: 500 }, (_, i) => ({ topic: 'snap', key: `k${i}`, value: Buffer.from(`v${round}`) })));
  }
  const compaction = first.compact().catch(() => undefined);
  // A slice is on the thread once its first message has gone: the writes from here on wait for it.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const produced = Array.from({ length: 50 }, (_, i) => first.produce([{ topic: 'log', key: 'l', value: Buffer.from(String(i)) }]));
  // Their flush finds the slice under way (the thread is still starting) and leaves them queued.
  await new Promise<void>((resolve) => setImmediate(resolve));
  await first.close();
  const offsets = (await Promise.all(produced)).map(([meta]) => meta?.offset);
  assert.deepEqual(offsets, Array.from({ length: 50 }, (_, i) => i));
  await compaction;
  const second = createEmbeddedTransport({ dataDir, compactionIntervalMs: 0 });
  try {
    assert.deepEqual(
      (await readAll(second, 'log', 0)).map((r) => r.value?.toString()),
      Array.from({ length: 50 }, (_, i) => String(i)),
    );
  } finally {
    await second.close();
  }
});

void test('a later compaction finds the end of a partition that grew since the last one', async (t) => {
  const transport = await open(t);
  await transport.ensureTopics([{ name: 'snap', partitions: 1, compacted: true }]);
  const write = (value: string) => transport.produce([{ topic: 'snap', key: 'a', value: Buffer.from(value) }]);
  await write('a1');
  await write('a2');
  assert.equal(await transport.compact(), 1, 'a1 goes; a2 is the last record and stays');
  await write('a3');
  assert.equal(await transport.compact(), 1, 'a2 is no longer the last record: it goes');
  assert.deepEqual((await readAll(transport, 'snap', 0)).map((r) => [r.offset, r.value?.toString()]), [[2, 'a3']]);
});

void test('compaction keeps the latest record per key, drops tombstones and never reuses offsets', async (t) => {
  const transport = await open(t);
  await transport.ensureTopics([{ name: 'snap', partitions: 1, compacted: true }, { name: 'log', partitions: 1 }]);
  const v = (s: string): Buffer => Buffer.from(s);
  await transport.produce([
    { topic: 'snap', key: 'a', value: v('a1') },
    { topic: 'snap', key: 'b', value: v('b1') },
    { topic: 'snap', key: 'a', value: v('a2') },
    { topic: 'snap', key: 'b', value: null },
    { topic: 'snap', key: 'c', value: v('c1') },
    { topic: 'snap', key: 'c', value: null },
    { topic: 'log', key: 'a', value: v('1') },
    { topic: 'log', key: 'a', value: v('2') },
  ]);
  assert.equal(await transport.compact(), 4, 'a1, b1, b-tombstone and c1 are removed');
  const kept = await readAll(transport, 'snap', 0);
  // The last record of a partition stays, even a tombstone, so the end offset survives a restart.
  assert.deepEqual(kept.map((r) => [r.offset, r.key, r.value?.toString() ?? null]), [[2, 'a', 'a2'], [5, 'c', null]]);
  assert.equal((await readAll(transport, 'log', 0)).length, 2, 'a topic that is not compacted is untouched');
  const [next] = await transport.produce([{ topic: 'snap', key: 'a', value: v('a3') }]);
  assert.equal(next?.offset, 6);
});

void test('a commit for a partition the consumer does not own is refused (a fenced zombie)', async (t) => {
  const transport = await open(t);
  await transport.ensureTopics([{ name: 'in', partitions: 2 }]);
  const first = await transport.subscribe(new Inbox().options('g', ['in']));
  t.after(() => first.close());
  assert.equal(first.assignments().length, 2);
  const second = await transport.subscribe(new Inbox().options('g', ['in']));
  t.after(() => second.close());
  const lost = second.assignments()[0];
  assert.ok(lost !== undefined && first.assignments().length === 1);
  await assert.rejects(first.commit([{ topic: 'in', partition: lost.partition, offset: 1 }]), withReason(TransportErrorReason.Fenced, /does not own in\/\d/));
  await second.commit([{ topic: 'in', partition: lost.partition, offset: 1 }]);
  await first.close();
  await assert.rejects(first.commit([]), withReason(TransportErrorReason.Closed));
  assert.deepEqual(await transport.committedOffsets('g', 'in'), lost.partition === 0 ? [1, -1] : [-1, 1]);
});

void test('a commit whose produce fails commits nothing', async (t) => {
  const transport = await open(t);
  await transport.ensureTopics([{ name: 'in', partitions: 1 }, { name: 'out', partitions: 1 }]);
  const consumer = await transport.subscribe(new Inbox().options('g', ['in']));
  t.after(() => consumer.close());
  await assert.rejects(
    consumer.commit([{ topic: 'in', partition: 0, offset: 1 }], [{ topic: 'out', key: 'ok', value: null }, { topic: 'out', key: 'bad', value: null, partition: 7 }]),
    withReason(TransportErrorReason.InvalidArgument, /records\[1\]\.partition/),
  );
  assert.deepEqual(await transport.committedOffsets('g', 'in'), [-1]);
  assert.deepEqual(await transport.endOffsets('out'), [0]);
});

void test('bad input is refused with an error naming the field or topic', async (t) => {
  const transport = await open(t);
  await transport.ensureTopics([{ name: 'known', partitions: 2 }]);
  await assert.rejects(transport.produce([{ topic: 'missing', key: 'k', value: null }]), withReason(TransportErrorReason.UnknownTopic, /"missing"/));
  await assert.rejects(transport.produce([{ topic: 'known', key: 'k', value: 'text' as unknown as Buffer }]), withReason(TransportErrorReason.InvalidArgument, /records\[0\]\.value/));
  await assert.rejects(transport.produce([{ topic: 'known', key: 'k', value: null, headers: { n: 1 as unknown as string } }]), /records\[0\]\.headers\.n/);
  await assert.rejects(transport.ensureTopics([{ name: 'x', partitions: 0 }]), /specs\[0\]\.partitions/);
  await assert.rejects(transport.subscribe({ groupId: 'g', topics: ['missing'], onBatch: async () => undefined }), withReason(TransportErrorReason.UnknownTopic));
  await assert.rejects(transport.subscribe({ groupId: '', topics: ['known'], onBatch: async () => undefined }), /groupId/);
  assert.throws(() => createEmbeddedTransport({ dataDir: '', synchronous: 'always' as 'full', pollIntervalMs: -1 }), /dataDir.*synchronous.*pollIntervalMs/);
});

void test('produce wakes an idle consumer at once, without waiting for the safety-net poll', async (t) => {
  const transport = await open(t, { pollIntervalMs: 30_000 });
  await transport.ensureTopics([{ name: 'live', partitions: 1 }, { name: 'warm-up', partitions: 1 }]);
  // The first write also looks the partition's end up in the file: not what is measured here.
  await transport.produce([{ topic: 'warm-up', key: 'k', value: Buffer.from('first') }]);
  const inbox = new Inbox();
  await transport.subscribe(inbox.options('g', ['live']));
  await new Promise<void>((resolve) => setImmediate(resolve)); // the loop found nothing and is idle
  const started = performance.now();
  await transport.produce([{ topic: 'live', key: 'k', value: Buffer.from('now') }]);
  await inbox.until(() => inbox.records.length === 1, 'the record', 5_000);
  const latencyMs = performance.now() - started;
  assert.ok(latencyMs < 1_000, `delivered in ${latencyMs.toFixed(2)} ms, far below the 30 s poll`);
});

void test('a rejecting onBatch stops that consumer, reports the error and hands its partitions over', async (t) => {
  const transport = await open(t);
  await transport.ensureTopics([{ name: 'jobs', partitions: 1 }]);
  const failing = new Inbox();
  const healthy = new Inbox();
  const bad = await transport.subscribe({ ...failing.options('g', ['jobs']), onBatch: async () => Promise.reject(new Error('handler exploded')) });
  const good = await transport.subscribe(healthy.options('g', ['jobs']));
  t.after(() => good.close());
  const owner = bad.assignments().length === 1 ? failing : healthy;
  assert.equal(owner, failing, 'the first member owns the only partition');
  await transport.produce([{ topic: 'jobs', key: 'k', value: Buffer.from('1') }]);
  await waitFor(() => failing.errors.length === 1, 'the error report', 5_000);
  assert.match(failing.errors[0]?.message ?? '', /handler exploded/);
  await healthy.until(() => healthy.records.length === 1, 'redelivery to the other member', 5_000);
});

void test('transports on one data directory share records and groups; close is idempotent', async (t) => {
  const dataDir = tempDataDir();
  const a = createEmbeddedTransport({ dataDir });
  const b = createEmbeddedTransport({ dataDir });
  t.after(() => b.close());
  await a.ensureTopics([{ name: 'shared', partitions: 2 }]);
  assert.equal(await b.partitionCount('shared'), 2);
  const inbox = new Inbox();
  const consumer = await b.subscribe(inbox.options('g', ['shared']));
  await a.produce([{ topic: 'shared', key: 'k', value: Buffer.from('x') }]);
  await inbox.until(() => inbox.records.length === 1, 'a record written by the other transport', 5_000);
  await a.close();
  await a.close();
  await assert.rejects(a.produce([]), withReason(TransportErrorReason.Closed));
  assert.equal(consumer.assignments().length, 2, 'closing one transport leaves the other working');
  await b.produce([{ topic: 'shared', key: 'k', value: Buffer.from('y') }]);
  await inbox.until(() => inbox.records.length === 2, 'a record written after the other transport closed', 5_000);
});
