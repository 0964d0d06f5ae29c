import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedTransport } from '@orchestrator-lite/transport';
import type { Consumer } from '@orchestrator-lite/transport';
import { LazyCommit } from '../src/lazy-commit.js';
import { waitFor } from './helpers.js';

const TOPIC = 'lazy.events';

async function member(t: { after(fn: () => Promise<void>): void }): Promise<{ consumer: Consumer; committed: () => Promise<number[]> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'orch-lazy-commit-'));
  const transport = createEmbeddedTransport({ dataDir, synchronous: 'normal', pollIntervalMs: 20 });
  await transport.ensureTopics([{ name: TOPIC, partitions: 3 }]);
  const consumer = await transport.subscribe({ groupId: 'lazy', topics: [TOPIC], onBatch: async () => undefined });
  t.after(async () => {
    await transport.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { consumer, committed: () => transport.committedOffsets('lazy', TOPIC) };
}

void test('offsets noted within an interval are committed together, the latest per partition, once the interval is over', async (t) => {
  const { consumer, committed } = await member(t);
  const errors: unknown[] = [];
  const commits = new LazyCommit(() => consumer, TOPIC, (error) => errors.push(error), 1000);
  commits.note(0, 5);
  commits.note(1, 2);
  commits.note(0, 9);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(await committed(), [-1, -1, -1], 'nothing is written before the interval is over');
  await waitFor(async () => (await committed())[0] === 9, 'the commit after the interval', 5000);
  assert.deepEqual(await committed(), [9, 2, -1]);
  assert.deepEqual(errors, []);
});

void test('flush commits what is pending at once, and leaves out the partitions the consumer no longer owns', async (t) => {
  const { consumer, committed } = await member(t);
  const errors: unknown[] = [];
  const commits = new LazyCommit(() => consumer, TOPIC, (error) => errors.push(error), 60_000);
  commits.note(2, 4);
  await commits.flush();
  assert.deepEqual(await committed(), [-1, -1, 4]);

  // A partition that moved away is not committed by this member: the commit would be refused.
  const owned = consumer.assignments().filter((tp) => tp.partition !== 1);
  const narrowed = Object.assign(Object.create(consumer) as Consumer, { assignments: () => owned });
  const other = new LazyCommit(() => narrowed, TOPIC, (error) => errors.push(error), 60_000);
  other.note(1, 7);
  other.note(0, 3);
  await other.flush();
  assert.deepEqual(await committed(), [3, -1, 4]);
  assert.deepEqual(errors, []);
});

void test('a commit that fails is reported with its partitions, and later commits still go', async (t) => {
  const { consumer, committed } = await member(t);
  const failures: { error: unknown; partitions: number[] }[] = [];
  let refuse = true;
  const flaky = Object.assign(Object.create(consumer) as Consumer, {
    assignments: () => consumer.assignments(),
    commit: (offsets: Parameters<Consumer['commit']>[0]) => (refuse ? Promise.reject(new Error('the bus is away')) : consumer.commit(offsets)),
  });
  const commits = new LazyCommit(() => flaky, TOPIC, (error, partitions) => failures.push({ error, partitions }), 60_000);
  commits.note(0, 1);
  await commits.flush();
  assert.equal(failures.length, 1);
  assert.deepEqual(failures[0]?.partitions, [0]);
  assert.match(String(failures[0]?.error), /the bus is away/);
  refuse = false;
  commits.note(0, 2);
  await commits.flush();
  assert.deepEqual(await committed(), [2, -1, -1]);
});
