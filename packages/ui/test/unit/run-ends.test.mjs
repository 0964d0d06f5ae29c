/** The live chart's counts of ended runs: per bucket, within the window, with a bounded sample of durations. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTs } from './load-ts.mjs';

test('ends are counted in their 10-second bucket, failures apart, and buckets older than the window leave', async (t) => {
  const { recordEnds, BUCKET_MS, BUCKETS } = await loadTs(t, ['store/run-ends.ts', 'store/run-reducer.ts']);
  const now = 1_000 * BUCKET_MS + 3_000;
  let ends = recordEnds([], [
    { endedAt: now - 1_000, durationMs: 40, failed: false },
    { endedAt: now - 2_000, durationMs: 60, failed: true },
    { endedAt: now - BUCKET_MS, failed: false },
    { endedAt: now - BUCKETS * BUCKET_MS, durationMs: 5, failed: false },
  ], now);
  assert.deepEqual(ends.map((b) => [b.start, b.count, b.failed, [...b.durations].sort((a, b) => a - b)]), [
    [999 * BUCKET_MS, 1, 0, []],
    [1_000 * BUCKET_MS, 2, 1, [40, 60]],
  ]);
  assert.equal(recordEnds(ends, [], now), ends, 'nothing new: the same object');
  ends = recordEnds(ends, [], now + (BUCKETS - 1) * BUCKET_MS);
  assert.deepEqual(ends.map((b) => b.start), [1_000 * BUCKET_MS], 'the older bucket left the window');
});

test('a busy bucket keeps a bounded, uniform sample of its durations and counts every end', async (t) => {
  const { recordEnds, BUCKET_MS } = await loadTs(t, ['store/run-ends.ts', 'store/run-reducer.ts']);
  const now = 50 * BUCKET_MS;
  let ends = [];
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let i = 0; i < 20_000; i += 1000) {
    const batch = Array.from({ length: 1000 }, (_, k) => ({ endedAt: now, durationMs: i + k, failed: false }));
    ends = recordEnds(ends, batch, now, random);
  }
  const [bucket] = ends;
  assert.equal(bucket.count, 20_000);
  assert.equal(bucket.timed, 20_000);
  assert.equal(bucket.durations.length, 512);
  const sorted = [...bucket.durations].sort((a, b) => a - b);
  const median = sorted[256];
  assert.ok(median > 7_000 && median < 13_000, `the sample's median ${median} is near the true 10,000`);
});
