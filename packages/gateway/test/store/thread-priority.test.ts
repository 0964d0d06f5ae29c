import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ThreadedSqliteReadStore } from '../../src/store/sqlite-thread.js';
import { READ_STORE_NICE_INCREMENT, lowerThisThreadPriority } from '../../src/store/thread-priority.js';

const linux = process.platform === 'linux';

/** The nice value of each thread of this process, by thread id (Linux: field 19 of its stat). */
async function threadNices(): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const tid of await readdir('/proc/self/task')) {
    const stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) continue;
    // After "pid (comm) ", the state is field 3: nice (19) is the 17th field from there.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}

void test('lowerThisThreadPriority: a thread lowers its own priority, not the process’s', async () => {
  const url = new URL('../../src/store/thread-priority.js', import.meta.url).href;
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     import(${JSON.stringify(url)}).then((m) => parentPort.postMessage({ nice: m.lowerThisThreadPriority(3) ?? null }), (e) => parentPort.postMessage({ error: String(e) }));`,
    { eval: true },
  );
  const reply = await new Promise<{ nice?: number | null; error?: string }>((resolve, reject) => worker.once('message', resolve).once('error', reject));
  await worker.terminate();
  assert.equal(reply.error, undefined);
  if (!linux) {
    assert.equal(reply.nice, null);
    return;
  }
  const main = getPriority(process.pid);
  assert.equal(reply.nice, Math.min(19, main + 3));
  assert.equal(getPriority(process.pid), main, 'the event loop keeps its priority');
});

void test('lowerThisThreadPriority: rejects a negative or fractional increment', () => {
  assert.throws(() => lowerThisThreadPriority(-1), /increment must be a non-negative integer, got -1/);
  assert.throws(() => lowerThisThreadPriority(1.5), /increment must be a non-negative integer, got 1.5/);
});

void test('the SQLite read store’s thread runs at a lower priority than the event loop', { skip: linux ? false : 'thread priorities are Linux only' }, async (t) => {
  const before = await threadNices();
  const dir = await mkdtemp(join(tmpdir(), 'orch-thread-priority-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await ThreadedSqliteReadStore.open({ path: join(dir, 'read-model.sqlite') });
  t.after(() => store.close());
  const main = getPriority(process.pid);
  const added = [...(await threadNices())].filter(([tid]) => !before.has(tid));
  assert.ok(
    added.some(([, nice]) => nice === Math.min(19, main + READ_STORE_NICE_INCREMENT)),
    `a new thread at nice ${Math.min(19, main + READ_STORE_NICE_INCREMENT)}; new threads: ${JSON.stringify(added)}`,
  );
  assert.equal(getPriority(process.pid), main);
});
