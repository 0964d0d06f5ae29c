import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeBackoff, mulberry32, resolveRetryPolicy, type JitterStrategy, type RetryPolicy } from '../src/index.js';

const policy = (jitter: JitterStrategy, over: Partial<RetryPolicy> = {}): RetryPolicy =>
  resolveRetryPolicy({ initialIntervalMs: 1000, backoffCoefficient: 2, maxIntervalMs: 60_000, jitter, ...over });

function stats(xs: number[]): { mean: number; min: number; max: number } {
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) };
}

const N = 20_000;

void test('mulberry32 is deterministic and uniform on [0,1)', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const xs = Array.from({ length: N }, () => a());
  assert.deepEqual(xs.slice(0, 5), Array.from({ length: 5 }, () => b()));
  const s = stats(xs);
  assert.ok(s.min >= 0 && s.max < 1);
  assert.ok(Math.abs(s.mean - 0.5) < 0.01, `mean ${s.mean}`);
  assert.notDeepEqual(mulberry32(1)(), mulberry32(2)());
});

void test('the base delay grows by the coefficient and is capped', () => {
  const p = policy('none', { maxIntervalMs: 10_000 });
  const bases = [1, 2, 3, 4, 5, 6, 7].map((n) => computeBackoff(p, n, undefined, Math.random).baseDelayMs);
  assert.deepEqual(bases, [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  for (let i = 1; i < bases.length; i++) assert.ok((bases[i] ?? 0) >= (bases[i - 1] ?? 0));
  const r = computeBackoff(p, 3, undefined, () => 0.99);
  assert.deepEqual(r, { baseDelayMs: 4000, jitterMs: 0, delayMs: 4000 });
});

void test('a coefficient of 1 gives a constant base; a huge attempt stays capped and finite', () => {
  const p = policy('none', { backoffCoefficient: 1 });
  assert.equal(computeBackoff(p, 50, undefined, Math.random).delayMs, 1000);
  const q = policy('none', { backoffCoefficient: 100, maxIntervalMs: 86_400_000 });
  assert.equal(computeBackoff(q, 100, undefined, Math.random).delayMs, 86_400_000);
});

void test('full jitter is uniform on [0, base]: mean base/2', () => {
  const rnd = mulberry32(7);
  const p = policy('full');
  const rs = Array.from({ length: N }, () => computeBackoff(p, 3, undefined, rnd));
  const s = stats(rs.map((r) => r.delayMs));
  assert.ok(s.min >= 0 && s.max <= 4000);
  assert.ok(Math.abs(s.mean - 2000) < 60, `mean ${s.mean}`);
  assert.ok(s.min < 100 && s.max > 3900, 'covers the range');
  for (const r of rs) assert.equal(r.jitterMs, r.delayMs - r.baseDelayMs);
});

void test('equal jitter is uniform on [base/2, base]: mean 3/4 base', () => {
  const rnd = mulberry32(8);
  const p = policy('equal');
  const s = stats(Array.from({ length: N }, () => computeBackoff(p, 3, undefined, rnd).delayMs));
  assert.ok(s.min >= 2000 && s.max <= 4000, `${s.min}..${s.max}`);
  assert.ok(Math.abs(s.mean - 3000) < 40, `mean ${s.mean}`);
});

void test('decorrelated jitter draws from [initial, 3*prev], capped', () => {
  const rnd = mulberry32(9);
  const p = policy('decorrelated', { maxIntervalMs: 20_000 });
  const first = stats(Array.from({ length: N }, () => computeBackoff(p, 1, undefined, rnd).delayMs));
  // prev defaults to initial: uniform on [1000, 3000].
  assert.ok(first.min >= 1000 && first.max <= 3000);
  assert.ok(Math.abs(first.mean - 2000) < 40, `mean ${first.mean}`);
  const grown = stats(Array.from({ length: N }, () => computeBackoff(p, 4, 5000, rnd).delayMs));
  // uniform on [1000, 15000]
  assert.ok(grown.min >= 1000 && grown.max <= 15_000);
  assert.ok(Math.abs(grown.mean - 8000) < 200, `mean ${grown.mean}`);
  const capped = Array.from({ length: 1000 }, () => computeBackoff(p, 9, 50_000, rnd).delayMs);
  assert.ok(Math.max(...capped) <= 20_000);
  assert.ok(capped.filter((d) => d === 20_000).length > 500, 'most draws hit the cap');
});

void test('a chain of decorrelated delays stays within [initial, max]', () => {
  const rnd = mulberry32(10);
  const p = policy('decorrelated', { maxIntervalMs: 30_000 });
  let prev: number | undefined;
  for (let n = 1; n <= 50; n++) {
    const { delayMs } = computeBackoff(p, n, prev, rnd);
    assert.ok(delayMs >= 1000 && delayMs <= 30_000, `${delayMs}`);
    prev = delayMs;
  }
});

void test('delays are whole milliseconds and jitterMs may be negative', () => {
  const r = computeBackoff(policy('full', { initialIntervalMs: 333, backoffCoefficient: 1.5 }), 2, undefined, () => 0.3333);
  assert.equal(r.baseDelayMs, 500);
  assert.equal(r.delayMs, 166); // 0.3333 * 499.5, rounded once at the end
  assert.equal(r.jitterMs, -334);
  assert.ok(Number.isInteger(r.delayMs) && Number.isInteger(r.baseDelayMs));
});
