/**
 * One result from repeated runs of a round-trip phase (the client alone, our transport): per
 * window (`single`, `saturation`), the mean of the runs' round trips/s, latency percentiles,
 * CPU per round trip and the broker's by thread group, and each run's round trips/s under `runs`.
 * A run that failed is left out; with none that succeeded, the first failure is the result.
 */
const WINDOWS = ['single', 'saturation'];
const LATENCY = ['p50', 'p95', 'p99', 'mean'];

const mean = (values) => {
  const numbers = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  return numbers.length === 0 ? null : Math.round((numbers.reduce((a, b) => a + b, 0) / numbers.length) * 100) / 100;
};

function meanWindow(windows) {
  const [first] = windows;
  const latencies = windows.map((w) => w.latency);
  return {
    ...first,
    roundTripsPerSec: mean(windows.map((w) => w.roundTripsPerSec)),
    latency: {
      ...Object.fromEntries(LATENCY.map((k) => [k, mean(latencies.map((l) => l?.[k]))])),
      n: latencies.reduce((a, l) => a + (l?.n ?? 0), 0),
      max: Math.max(...latencies.map((l) => l?.max ?? 0)),
    },
    errors: windows.reduce((a, w) => a + (w.errors ?? 0), 0),
    ...(first.cpuUsPerRoundTrip === undefined ? {} : { cpuUsPerRoundTrip: Math.round(mean(windows.map((w) => w.cpuUsPerRoundTrip)) ?? 0) || null }),
    ...(first.brokerThreads === undefined ? {} : { brokerThreads: Object.fromEntries(Object.keys(first.brokerThreads).map((group) => [group, Math.round(mean(windows.map((w) => w.brokerThreads?.[group])) ?? 0)])) }),
  };
}

export function meanOfRuns(results) {
  const ok = results.filter((r) => r?.status === 'ok');
  if (ok.length === 0) return results[0];
  if (ok.length === 1) return { ...ok[0], runs: [Object.fromEntries(WINDOWS.map((w) => [w, ok[0][w]?.roundTripsPerSec]))] };
  return {
    ...ok[0],
    seconds: Math.round(ok.reduce((a, r) => a + r.seconds, 0) * 10) / 10,
    ...Object.fromEntries(WINDOWS.map((w) => [w, meanWindow(ok.map((r) => r[w]))])),
    runs: ok.map((r) => Object.fromEntries(WINDOWS.map((w) => [w, r[w]?.roundTripsPerSec]))),
  };
}
