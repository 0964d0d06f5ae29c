/**
 * Load drivers. `closedLoop` keeps `window` runs in flight (saturation); `openLoop` starts runs at
 * a fixed rate whatever the system does (a fixed offered load), up to `maxInFlight`.
 * Both stop starting runs at `t1` and wait (bounded) for the runs in flight to finish.
 */
import { wallNow, sleep } from './stats.mjs';

/** `start(measured)` starts one run and returns a promise that settles when it ends. */
export async function closedLoop({ start, window, warmupMs, measureMs, onWindow, drainMs = 60_000 }) {
  const begin = wallNow();
  const t0 = begin + warmupMs;
  const t1 = t0 + measureMs;
  onWindow?.(t0, t1);
  let inFlight = 0;
  let errors = 0;
  let resolveDrained;
  const drained = new Promise((resolve) => (resolveDrained = resolve));
  const launch = () => {
    const now = wallNow();
    if (now >= t1) {
      if (inFlight === 0) resolveDrained();
      return;
    }
    inFlight++;
    start(now >= t0)
      .catch((error) => {
        if (errors++ === 0) process.stderr.write(`bench: a run failed: ${error.message}\n`);
      })
      .finally(() => {
        inFlight--;
        launch();
      });
  };
  for (let i = 0; i < window; i++) launch();
  await Promise.race([drained, sleep(warmupMs + measureMs + drainMs)]);
  return { t0, t1, errors, leftInFlight: inFlight };
}

export async function openLoop({ start, ratePerSec, warmupMs, measureMs, maxInFlight, onWindow, drainMs = 60_000 }) {
  const begin = wallNow();
  const t0 = begin + warmupMs;
  const t1 = t0 + measureMs;
  onWindow?.(t0, t1);
  const interval = 1000 / ratePerSec;
  let launched = 0;
  let inFlight = 0;
  let skipped = 0;
  let errors = 0;
  const pending = new Set();
  for (let due = begin; due < t1; due = begin + ++launched * interval) {
    const wait = due - wallNow();
    if (wait > 1) await sleep(wait);
    if (inFlight >= maxInFlight) {
      skipped++;
      continue;
    }
    inFlight++;
    const p = start(due >= t0)
      .catch((error) => {
        if (errors++ === 0) process.stderr.write(`bench: a run failed: ${error.message}\n`);
      })
      .finally(() => {
        inFlight--;
        pending.delete(p);
      });
    pending.add(p);
  }
  await Promise.race([Promise.all([...pending]), sleep(drainMs)]);
  return { t0, t1, errors, skipped, offered: launched, leftInFlight: inFlight };
}

/**
 * Throughput against runs in flight: the saturation already measured at `window`, then a closed
 * loop at each of `factors` times `window`, each measured by `measure(drive)` (which returns
 * runsPerSec, stepsPerSec and latency.runLatency). Where the steps/s stop growing, the system is
 * saturated; a system that batches what arrives while it writes gains from more runs in flight,
 * and the run latency says what that costs.
 */
export async function throughputCurve({ start, window, saturation, factors, warmupMs, measureMs, measure }) {
  const points = [curvePoint(window, saturation)];
  for (const factor of factors) {
    const r = await measure((w) => closedLoop({ start, window: factor * window, warmupMs, measureMs, ...w }));
    points.push(curvePoint(factor * window, r));
  }
  return points;
}

/** One point of a throughput curve, from a closed loop's measurement. */
function curvePoint(window, r) {
  return { window, runsPerSec: r.runsPerSec, stepsPerSec: r.stepsPerSec, runLatencyP50: r.latency?.runLatency?.p50 ?? null, runLatencyP99: r.latency?.runLatency?.p99 ?? null, errors: r.errors ?? 0 };
}
