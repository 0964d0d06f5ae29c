/**
 * Warms the broker before the phases that measure on Kafka. A JVM compiles its hot code while it
 * runs, so on a broker just started the first phase's load shares the cores with the broker's JIT
 * compiler, and the figure it gives is the broker's start, not Kafka. The client alone's load
 * (bench/lib/client-alone-loop.mjs) runs in rounds until, over a round, the broker's compiler
 * threads used less than `settledShare` of a core, or `maxMs` passed. Each round gives its round
 * trips/s and the broker's CPU by thread group (its request threads, its JIT compiler, its garbage
 * collector, its log cleaner, the rest). A broker that is not on this machine is not observed: it
 * gets `minRounds` rounds.
 */
import { localBrokerPids, threadMeter } from '../lib/broker-cpu.mjs';
import { brokersFromEnv } from '../lib/bus.mjs';
import { openClientAlone } from '../lib/client-alone-loop.mjs';
import { closedLoop } from '../lib/load.mjs';

const round2 = (x) => Math.round(x * 100) / 100;

export async function run(o) {
  const brokers = brokersFromEnv();
  const pids = localBrokerPids(brokers);
  const began = performance.now();
  const loop = await openClientAlone(brokers, o.partitions);
  const rounds = [];
  let settled = false;
  try {
    while (!settled && performance.now() - began < o.maxMs) {
      const meter = threadMeter(pids);
      const at = performance.now();
      loop.completed = 0;
      const r = await closedLoop({ start: loop.roundTrip, window: o.window, warmupMs: 0, measureMs: o.roundMs, onWindow: (t0, t1) => (loop.window = { t0, t1 }) });
      const seconds = (performance.now() - at) / 1000;
      // The cores each group kept busy over the round.
      const brokerCores = Object.fromEntries(Object.entries(meter.used()).map(([group, us]) => [group, round2(us / 1e6 / seconds)]));
      const roundTripsPerSec = Math.round(loop.completed / ((r.t1 - r.t0) / 1000));
      rounds.push({ roundTripsPerSec, ...(pids.length > 0 ? { brokerCores } : {}) });
      settled = rounds.length >= o.minRounds && (pids.length === 0 || brokerCores.compiler < o.settledShare);
      const jit = pids.length > 0 ? `, the broker's JIT compiler ${brokerCores.compiler} of a core, its request threads ${brokerCores.requests}` : '';
      process.stderr.write(`  broker warm-up round ${rounds.length}: ${roundTripsPerSec} round trips/s${jit}\n`);
    }
  } finally {
    await loop.close();
  }
  return { brokerObserved: pids.length > 0, settled, settledShare: o.settledShare, roundMs: o.roundMs, seconds: round2((performance.now() - began) / 1000), rounds };
}
