import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Worker } from 'node:worker_threads';
import { ThreadChannel } from '../src/thread-channel.js';
import type { FixtureRequest } from './thread-channel.fixture.js';

function open(): { worker: Worker; channel: ThreadChannel<FixtureRequest> } {
  const worker = new Worker(new URL('./thread-channel.fixture.js', import.meta.url));
  const channel = new ThreadChannel<FixtureRequest>(worker, (cause) => new Error(`the fixture stopped: ${cause.message}`));
  return { worker, channel };
}

void test('the calls of one task reach the thread as one message, and each gets its own answer', async () => {
  const { worker, channel } = open();
  try {
    const answers = await Promise.all([channel.call({ op: 'echo', value: 1 }), channel.call({ op: 'echo', value: { a: [2] } }), channel.call({ op: 'messages' })]);
    assert.deepEqual(answers, [1, { a: [2] }, 1]);
    // A later task is a second message.
    assert.equal(await channel.call({ op: 'messages' }), 2);
  } finally {
    await worker.terminate();
  }
});

void test('a failed call rejects alone, with the error name, message and code', async () => {
  const { worker, channel } = open();
  try {
    const [failed, ok] = await Promise.allSettled([channel.call({ op: 'fail', message: 'no such thing' }), channel.call({ op: 'echo', value: 'fine' })]);
    assert.equal(failed.status, 'rejected');
    assert.equal((failed as PromiseRejectedResult).reason.message, 'no such thing');
    assert.equal((failed as PromiseRejectedResult).reason.name, 'RangeError');
    assert.equal((failed as PromiseRejectedResult).reason.code, 'E_FIXTURE');
    assert.deepEqual(ok, { status: 'fulfilled', value: 'fine' });
  } finally {
    await worker.terminate();
  }
});

void test('a slow answer holds back none of the answers of its message', async () => {
  const { worker, channel } = open();
  try {
    const order: string[] = [];
    const slow = channel.call({ op: 'slow', ms: 300 }).then(() => order.push('slow'));
    const quick = channel.call({ op: 'echo', value: 'quick' }).then(() => order.push('quick'));
    await Promise.all([slow, quick]);
    assert.deepEqual(order, ['quick', 'slow']);
  } finally {
    await worker.terminate();
  }
});

void test('a thread that stops fails the waiting calls and every later one with the described error', async () => {
  const { channel } = open();
  const waiting = channel.call({ op: 'slow', ms: 5000 });
  const exiting = channel.call({ op: 'exit' });
  await assert.rejects(waiting, /^Error: the fixture stopped: it exited with code 7$/);
  await assert.rejects(exiting, /the fixture stopped/);
  await assert.rejects(channel.call({ op: 'echo', value: 1 }), /the fixture stopped/);
  assert.match(String(channel.failure), /it exited with code 7/);
});

void test('flush sends the queued calls at once, before the microtasks of the task run', async () => {
  const { worker, channel } = open();
  try {
    const first = channel.call({ op: 'messages' });
    channel.flush();
    const second = channel.call({ op: 'messages' });
    assert.deepEqual(await Promise.all([first, second]), [1, 2]);
  } finally {
    await worker.terminate();
  }
});

void test('while the thread has not taken the last message, the calls of later tasks gather into one message', async () => {
  const { worker, channel } = open();
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  try {
    const busy = channel.call({ op: 'busy', ms: 300 });
    await sleep(50);
    const first = channel.call({ op: 'messages' });
    await sleep(50);
    const second = channel.call({ op: 'messages' });
    // Sent one by one they would be messages 2 and 3.
    assert.deepEqual(await Promise.all([busy, first, second]), [300, 2, 2]);
    // With the thread idle again, the next task's call goes at once, as message 3.
    assert.equal(await channel.call({ op: 'messages' }), 3);
  } finally {
    await worker.terminate();
  }
});
