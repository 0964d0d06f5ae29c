/**
 * The baseline: the Kafka client alone (bench/lib/client-alone-loop.mjs), no project code. Request
 * and reply cross two processes: this one produces requests and consumes replies, a forked
 * replier consumes requests and produces replies. Same shape and windows as `raw-kafka`: one in
 * flight (latency), then `window` in flight (throughput).
 */
import { localBrokerPids } from '../lib/broker-cpu.mjs';
import { brokersFromEnv } from '../lib/bus.mjs';
import { openClientAlone } from '../lib/client-alone-loop.mjs';
import { measureRoundTrips } from '../lib/round-trips.mjs';

export async function run(o) {
  const brokers = brokersFromEnv();
  const loop = await openClientAlone(brokers, o.partitions);
  try {
    // The machine's CPU per round trip: both processes and the local broker (none counted when it is remote).
    const brokerPids = localBrokerPids(brokers);
    const pids = [loop.replierPid, ...brokerPids];
    const results = await measureRoundTrips(loop, { ...o, pids, brokerPids, label: 'client alone' });
    for (const r of Object.values(results)) r.brokerCounted = pids.length > 1;
    return { client: '@platformatic/kafka', partitions: o.partitions, ...results };
  } finally {
    await loop.close();
  }
}
