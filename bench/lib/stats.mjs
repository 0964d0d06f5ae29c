/** Small statistics helpers shared by every phase. */
import { perStepByThread, threadCounters } from './thread-cpu.mjs';

/** The q-quantile (0..1) of sorted numbers, nearest-rank. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** p50/p95/p99/max/mean of latency samples in ms, rounded to 0.01 ms; `null` fields when empty. */
export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  const round = (v) => (v === null || v === undefined ? null : Math.round(v * 100) / 100);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    p50: round(quantile(sorted, 0.5)),
    p95: round(quantile(sorted, 0.95)),
    p99: round(quantile(sorted, 0.99)),
    max: round(sorted.length ? sorted[sorted.length - 1] : null),
    mean: round(sorted.length ? sum / sorted.length : null),
  };
}

/** A monotonic clock in ms with sub-ms resolution. Event `at` fields are wall-clock (Date.now). */
export const mono = () => performance.now();

/** Wall-clock ms with sub-ms resolution, comparable to Date.now() values. */
export const wallNow = () => performance.timeOrigin + performance.now();

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `predicate()` is true, polling every `everyMs`; rejects after `timeoutMs` naming `what`. */
export async function until(predicate, { timeoutMs, everyMs = 20, what }) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * CPU time per step over a load drive: this process's user+system CPU (plus `extraCpuUs`, e.g.
 * the Redis server's, when given) spent during the drive, at its rate, divided by the steps/s
 * measured, with the drive's length in seconds. A figure that holds on a loaded machine, where
 * throughput does not.
 */
export async function cpuPerStep(drive, stepsPerSecOf, extraCpuUs = async () => 0) {
  const cpu0 = process.cpuUsage();
  const threads0 = threadCounters();
  const extra0 = await extraCpuUs();
  const t0 = mono();
  const result = await drive();
  const seconds = (mono() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  const threads = threadCounters();
  const extraUs = (await extraCpuUs()) - extra0;
  const cpuUs = used.user + used.system + extraUs;
  const stepsPerSec = stepsPerSecOf(result);
  const byThread = perStepByThread(threads0, threads, seconds, stepsPerSec);
  return {
    result,
    seconds,
    cpuUsPerStep: stepsPerSec > 0 ? Math.round(cpuUs / seconds / stepsPerSec) : null,
    // The process's threads, and what `extraCpuUs` counted outside it (BullMQ's Redis).
    ...(byThread === undefined ? {} : { cpuByThread: { ...byThread, outside: Math.round(extraUs / seconds / stepsPerSec) } }),
  };
}

/**
 * CPU time per step over a load drive, by process: each of `sources` gives a process's CPU time
 * so far in µs (its user + system), and what each used during the drive, at its rate, is divided
 * by the steps/s measured. `cpuUsPerStep` is their sum: what the machine spent on a step.
 */
export async function cpuPerStepByProcess(drive, stepsPerSecOf, sources) {
  const names = Object.keys(sources);
  const read = () => Object.fromEntries(names.map((name) => [name, sources[name]()]));
  const before = read();
  const t0 = mono();
  const result = await drive();
  const seconds = (mono() - t0) / 1000;
  const after = read();
  const stepsPerSec = stepsPerSecOf(result);
  if (!(stepsPerSec > 0)) return { result, cpuUsPerStep: null };
  const byProcess = Object.fromEntries(names.map((name) => [name, Math.round((after[name] - before[name]) / seconds / stepsPerSec)]));
  return { result, cpuUsPerStep: Object.values(byProcess).reduce((a, b) => a + b, 0), cpuByProcess: byProcess };
}

/** Student's t at 97.5% for 1..30 degrees of freedom (beyond, the normal's 1.96). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** The mean of at least two values and its 95% confidence interval (Student's t). */
export function meanInterval(values) {
  if (values.length < 2) throw new Error(`meanInterval: needs at least 2 values, got ${values.length}`);
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const half = (T975[n - 2] ?? 1.96) * Math.sqrt(variance / n);
  return { mean, low: mean - half, high: mean + half };
}

/**
 * Ratios of paired runs (this ÷ base) as one line: their mean, its 95% interval, and whether 1
 * lies within it; and their median, which a pair run at a slow moment of the machine moves less.
 */
export function describeRatios(ratios) {
  const { mean, low, high } = meanInterval(ratios);
  const verdict = low <= 1 && high >= 1 ? 'within the noise' : mean > 1 ? 'higher' : 'lower';
  const sorted = [...ratios].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return `${mean.toFixed(3)}x (95% interval ${low.toFixed(3)}–${high.toFixed(3)}, median ${median.toFixed(3)}x): ${verdict}`;
}
