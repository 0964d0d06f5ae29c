/**
 * A request/reply round trip and how it is measured, shared by the Kafka client alone
 * (`client-alone-loop.mjs`) and our transport (`phases/raw-roundtrip.mjs`): only how a request is
 * sent and how its reply is heard differ between them.
 */
import { cpuMeter, threadMeter } from './broker-cpu.mjs';
import { closedLoop } from './load.mjs';
import { summarize, wallNow } from './stats.mjs';

/**
 * Round trips over `send(key, value)`, whose replies the caller reports with `replied(key, at)`.
 * `roundTrip(measured)` sends one request and settles on its reply; a measured one adds its
 * latency to `samples`, and a reply inside `window` counts in `completed`.
 */
export function roundTripLoop(send) {
  const waiting = new Map();
  let counter = 0;
  const loop = {
    samples: [],
    completed: 0,
    window: { t0: Infinity, t1: Infinity },
    replied(key, at) {
      waiting.get(key)?.(at);
    },
    async roundTrip(measured) {
      const key = `k${++counter}`;
      const sentAt = wallNow();
      const replied = new Promise((resolve) => waiting.set(key, resolve));
      await send(key, Buffer.from(JSON.stringify({ key, sentAt })));
      const at = await replied;
      waiting.delete(key);
      if (measured) loop.samples.push(at - sentAt);
      if (at >= loop.window.t0 && at < loop.window.t1) loop.completed++;
    },
  };
  return loop;
}

/**
 * One round trip in flight (latency), then `window` (throughput), each a closed loop: per window,
 * its round trips/s, latency, errors and the machine's CPU per round trip (this process and
 * `pids`); with `brokerPids`, the local broker's CPU per round trip by its threads too.
 */
export async function measureRoundTrips(loop, { window, warmupMs, measureMs, pids, brokerPids = [], label }) {
  const results = {};
  for (const [name, inFlight] of [['single', 1], ['saturation', window]]) {
    loop.samples = [];
    loop.completed = 0;
    const cpu = cpuMeter(pids);
    const broker = threadMeter(brokerPids);
    const began = performance.now();
    const r = await closedLoop({ start: loop.roundTrip, window: inFlight, warmupMs, measureMs, onWindow: (t0, t1) => (loop.window = { t0, t1 }) });
    const rate = loop.completed / ((r.t1 - r.t0) / 1000);
    // As the engine's CPU per step: per round trip of the window's rate.
    const cpuUsPerRoundTrip = cpu.usPer(rate);
    const brokerThreads = brokerPids.length > 0 ? broker.usPer((performance.now() - began) / 1000, rate) : undefined;
    results[name] = { inFlight, roundTripsPerSec: Math.round(rate * 100) / 100, latency: summarize(loop.samples), errors: r.errors, cpuUsPerRoundTrip, ...(brokerThreads ? { brokerThreads } : {}) };
    process.stderr.write(`  ${label} ${name}: ${results[name].roundTripsPerSec} round trips/s, p50 ${results[name].latency.p50} ms p99 ${results[name].latency.p99} ms\n`);
  }
  return results;
}
