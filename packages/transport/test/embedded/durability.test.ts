import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import Database from 'better-sqlite3';
import { createEmbeddedTransport, TransportErrorReason } from '../../src/embedded/index.js';
import { readAll, waitFor } from '../../src/conformance/helpers.js';
import { tempDataDir } from './temp-dirs.js';

void test('records, topics and committed offsets survive close and reopen', async () => {
  const dataDir = tempDataDir();
  const first = createEmbeddedTransport({ dataDir });
  await first.ensureTopics([{ name: 'orders', partitions: 2 }, { name: 'state', partitions: 2, compacted: true }]);
  await first.produce([
    { topic: 'orders', key: 'a', value: Buffer.from('1'), headers: { h: 'x' } },
    { topic: 'orders', key: 'b', value: Buffer.from('2'), partition: 1 },
  ]);
  const consumer = await first.subscribe({ groupId: 'g', topics: ['orders'], onBatch: async () => undefined });
  await consumer.commit([{ topic: 'orders', partition: 1, offset: 1, metadata: 'm' }]);
  await first.close();

  const second = createEmbeddedTransport({ dataDir });
  try {
    assert.equal(await second.partitionCount('state'), 2);
    assert.deepEqual(await second.committedOffsets('g', 'orders'), [-1, 1]);
    assert.deepEqual(await second.committed('g', 'orders'), [null, { offset: 1, metadata: 'm' }]);
    const all = [...(await readAll(second, 'orders', 0)), ...(await readAll(second, 'orders', 1))];
    assert.deepEqual(all.map((r) => [r.key, r.value?.toString(), r.headers]).sort(), [['a', '1', { h: 'x' }], ['b', '2', {}]]);
    // New records continue the offsets, they never reuse them.
    const [meta] = await second.produce([{ topic: 'orders', key: 'c', value: null, partition: 1 }]);
    assert.equal(meta?.offset, 1);
  } finally {
    await second.close();
  }
});

void test('once closed, bus.db alone holds every record, even while the background checkpointer was at work', async () => {
  // The background checkpointer runs every 100 ms; enough rounds that some close while it checkpoints.
  for (let round = 0; round < 12; round++) {
    const dataDir = tempDataDir();
    const transport = createEmbeddedTransport({ dataDir, compactionIntervalMs: 0 });
    await transport.ensureTopics([{ name: 'log', partitions: 2 }]);
    const value = Buffer.alloc(200, 'x');
    for (let batch = 0; batch < 20; batch++) await transport.produce(Array.from({ length: 250 }, (_, i) => ({ topic: 'log', key: `k${i}`, value })));
    await transport.close();
    const copy = tempDataDir();
    mkdirSync(copy);
    copyFileSync(join(dataDir, 'bus.db'), join(copy, 'bus.db'));
    const db = new Database(join(copy, 'bus.db'), { readonly: true });
    try {
      assert.deepEqual(db.prepare('PRAGMA integrity_check').all(), [{ integrity_check: 'ok' }], `round ${round}`);
      const held = db.prepare<[], { n: number }>('SELECT sum(last_offset - base_offset + 1) AS n FROM batches').get()?.n;
      assert.equal(held, 5000, `round ${round}`);
    } finally {
      db.close();
    }
  }
});

void test('after kill -9, every record whose produce resolved is there; meanwhile another process cannot open the bus', { timeout: 60_000 }, async () => {
  const dataDir = tempDataDir();
  const topic = 'crash';
  const fixture = fileURLToPath(new URL('./produce-until-killed.fixture.js', import.meta.url));
  const child = spawn(process.execPath, [fixture, dataDir, topic], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const acked: Array<{ partition: number; offset: number; key: string }> = [];
  let ready = false;
  const lines = createInterface({ input: child.stdout });
  const linesClosed = once(lines, 'close');
  lines.on('line', (line) => {
    if (line === 'ready') ready = true;
    // A line the kill cut short names records whose produce resolved, but not whole: left out.
    if (!line.startsWith('ack ') || !line.endsWith(' end')) return;
    for (const item of line.slice(4, -4).split(' ')) {
      const [partition, offset, key] = item.split(':');
      acked.push({ partition: Number(partition), offset: Number(offset), key: String(key) });
    }
  });
  try {
    await waitFor(() => ready, 'the child to open the bus', 20_000);
    // The embedded mode is single-process: the data directory is locked while the child runs.
    assert.throws(() => createEmbeddedTransport({ dataDir }), (error: Error & { reason?: string }) => error.reason === TransportErrorReason.Locked);
    await waitFor(() => acked.length >= 300, '100 acknowledged batches', 20_000);
  } finally {
    child.kill('SIGKILL');
  }
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGKILL', `the child was killed, not exited with ${String(code)}`);
  await linesClosed;

  const transport = createEmbeddedTransport({ dataDir });
  try {
    const stored = new Map<string, string>();
    for (let p = 0; p < 3; p++) {
      for (const r of await readAll(transport, topic, p)) stored.set(`${p}:${r.offset}`, r.key);
    }
    for (const a of acked) assert.equal(stored.get(`${a.partition}:${a.offset}`), a.key, `acknowledged record ${a.key} at ${a.partition}:${a.offset}`);
    assert.ok(stored.size >= acked.length);
  } finally {
    await transport.close();
  }
});
