/** Reconnect delays: exponential, capped, with jitter in the upper half of each base delay. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTs } from './load-ts.mjs';

test('backoffDelay grows exponentially to its cap, jittered within [base/2, base]', async (t) => {
  const { backoffDelay } = await loadTs(t, ['api/backoff.ts']);
  const opts = { initialMs: 200, maxMs: 5000, factor: 2 };
  assert.deepEqual([0, 1, 2, 3, 4, 5, 10].map((n) => backoffDelay(n, opts, () => 1)), [200, 400, 800, 1600, 3200, 5000, 5000]);
  assert.deepEqual([0, 1, 2, 5].map((n) => backoffDelay(n, opts, () => 0)), [100, 200, 400, 2500]);
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(3, opts);
    assert.ok(d >= 800 && d <= 1600, `delay ${d} within [800, 1600]`);
  }
  assert.equal(backoffDelay(0, { initialMs: 10 }, () => 0), 50, 'never below the 50 ms floor');
});
