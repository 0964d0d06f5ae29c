/**
 * The baseline: the Kafka client alone (bench/lib/client-alone-loop.mjs), no project code. Request
 * and reply cross two processes: this one produces requests and consumes replies, a forked
 * replier consumes requests and produces replies. Same shape and windows as `raw-kafka`: one in
 * flight (latency), then `window` in flight (throughput).
 */
import { cpuMeter, localBrokerPids, threadMeter } from '../lib/broker-cpu.mjs';
import { brokersFromEnv } from '../lib/bus.mjs';
import { openClientAlone } from '../lib/client-alone-loop.mjs';
import { closedLoop } from '../lib/load.mjs';
import { summarize } from '../lib/stats.mjs';

export async function run(o) {
  const brokers = brokersFromEnv();
  const loop = await openClientAlone(brokers, o.partitions);
  try {
    const results = {};
    for (const [name, inFlight] of [['single', 1], ['saturation', o.window]]) {
      loop.samples = [];
      loop.completed = 0;
      // The machine's CPU per round trip: both processes and the local broker (none counted when it is remote).
      const brokerPids = localBrokerPids(brokers);
      const pids = [loop.replierPid, ...brokerPids];
      const cpu = cpuMeter(pids);
      const broker = threadMeter(brokerPids);
      const began = performance.now();
      const r = await closedLoop({ start: loop.roundTrip, window: inFlight, warmupMs: o.warmupMs, measureMs: o.measureMs, onWindow: (t0, t1) => (loop.window = { t0, t1 }) });
      const rate = loop.completed / ((r.t1 - r.t0) / 1000);
      // As the engine's CPU per step: per round trip of the window's rate.
      const cpuUsPerRoundTrip = cpu.usPer(rate);
      const brokerThreads = brokerPids.length > 0 ? broker.usPer((performance.now() - began) / 1000, rate) : undefined;
      results[name] = { inFlight, roundTripsPerSec: Math.round(rate * 100) / 100, latency: summarize(loop.samples), errors: r.errors, cpuUsPerRoundTrip, brokerCounted: pids.length > 1, ...(brokerThreads ? { brokerThreads } : {}) };
      process.stderr.write(`  client alone ${name}: ${results[name].roundTripsPerSec} round trips/s, p50 ${results[name].latency.p50} ms p99 ${results[name].latency.p99} ms\n`);
    }
    return { client: '@platformatic/kafka', partitions: o.partitions, ...results };
  } finally {
    await loop.close();
  }
}
