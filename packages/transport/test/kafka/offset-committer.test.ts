import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { OffsetCommitter } from '../../src/kafka/offset-committer.js';
import type { OffsetCommit } from '../../src/types.js';

const at = (partition: number, offset: number): OffsetCommit => ({ topic: 't', partition, offset });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A send that records each request and when it started. */
function recorder() {
  const requests: { at: number; offsets: OffsetCommit[] }[] = [];
  const send = (offsets: OffsetCommit[]) => {
    requests.push({ at: Date.now(), offsets });
    return Promise.resolve();
  };
  return { requests, send };
}

void test('commits queued within the interval go out together in one request, the latest offset per partition winning', async () => {
  const { requests, send } = recorder();
  const committer = new OffsetCommitter(send, 200);
  committer.queue([at(0, 1)]);
  await sleep(10);
  // The first went out at once; these wait for the interval.
  committer.queue([at(0, 5), at(1, 2)]);
  committer.queue([at(0, 7)]);
  await sleep(50);
  assert.equal(requests.length, 1);
  await sleep(250);
  assert.equal(requests.length, 2);
  assert.deepEqual(requests[1]?.offsets, [at(0, 7), at(1, 2)]);
  assert.ok(requests[1]!.at - requests[0]!.at >= 190, `${requests[1]!.at - requests[0]!.at} ms apart`);
});

void test('flush sends what is queued now, without waiting out the interval', async () => {
  const { requests, send } = recorder();
  const committer = new OffsetCommitter(send, 10_000);
  committer.queue([at(0, 1)]);
  committer.queue([at(0, 2)]);
  const started = Date.now();
  await committer.flush();
  assert.ok(Date.now() - started < 1000);
  assert.deepEqual(requests.map((r) => r.offsets), [[at(0, 1)], [at(0, 2)]]);
  // Nothing left behind to fire later.
  await committer.flush();
  assert.equal(requests.length, 2);
});

void test('flush waits for a request in flight and then sends what was queued behind it', async () => {
  const requests: OffsetCommit[][] = [];
  let release: () => void = () => undefined;
  const committer = new OffsetCommitter((offsets) => {
    requests.push(offsets);
    return requests.length === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
  }, 10_000);
  committer.queue([at(0, 1)]);
  committer.queue([at(0, 3)]);
  const flushed = committer.flush();
  await sleep(10);
  assert.equal(requests.length, 1);
  release();
  await flushed;
  assert.deepEqual(requests, [[at(0, 1)], [at(0, 3)]]);
});

void test('a failed request keeps its offsets for the next one, and flush reports the failure', async () => {
  const requests: OffsetCommit[][] = [];
  let fail = true;
  const committer = new OffsetCommitter((offsets) => {
    requests.push(offsets);
    return fail ? Promise.reject(new Error('coordinator moved')) : Promise.resolve();
  }, 5);
  committer.queue([at(0, 4)]);
  await assert.rejects(committer.flush(), /coordinator moved/);
  fail = false;
  await committer.flush();
  assert.deepEqual(requests, [[at(0, 4)], [at(0, 4)]]);
});
