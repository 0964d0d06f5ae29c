/**
 * The limit: a raw request/reply round trip on the same bus client the engine uses (our Transport,
 * on @platformatic/kafka for Kafka). A requester produces a record; a replier in another consumer
 * group consumes it and, in one commit(offsets, produce) like the engine's loop, produces a reply;
 * the requester consumes the reply. Measured with one request in flight (latency) and with
 * `window` in flight (throughput). On Kafka the replier is a process of its own
 * (peers/transport-replier.mjs), as in the Kafka client alone's baseline; the embedded bus is one
 * process's local log, so both sides share it there.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { localBrokerPids } from '../lib/broker-cpu.mjs';
import { brokersFromEnv, openBus } from '../lib/bus.mjs';
import { measureRoundTrips, roundTripLoop } from '../lib/round-trips.mjs';
import { until, wallNow } from '../lib/stats.mjs';

export const nextOffsets = (records) => {
  const byPartition = new Map();
  for (const r of records) byPartition.set(`${r.topic}/${r.partition}`, { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
  return [...byPartition.values()];
};

export async function run(o) {
  const bus = openBus(o.bus, 'raw');
  const { transport, prefix } = bus;
  const requests = `${prefix}requests`;
  const replies = `${prefix}replies`;
  const consumers = [];
  let replier;
  try {
    await transport.ensureTopics([
      { name: requests, partitions: o.partitions },
      { name: replies, partitions: o.partitions },
    ]);
    // Every call goes straight to the transport: it merges and overlaps concurrent produces itself.
    const loop = roundTripLoop((key, value) => transport.produce([{ topic: requests, key, value }]));
    if (o.bus === 'kafka') {
      replier = fork(fileURLToPath(new URL('../peers/transport-replier.mjs', import.meta.url)), [JSON.stringify({ brokers: brokersFromEnv(), requests, replies, group: `${prefix}replier` })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      await new Promise((resolve, reject) => {
        replier.once('message', resolve);
        replier.once('exit', (code) => reject(new Error(`the replier process exited with ${code}`)));
      });
    } else {
      const replying = await transport.subscribe({
        groupId: `${prefix}replier`,
        topics: [requests],
        from: 'latest',
        onBatch: async (records) => {
          const out = records.map((r) => ({ topic: replies, key: r.key, value: r.value }));
          await replying.commit(nextOffsets(records), out);
        },
      });
      consumers.push(replying);
    }
    const requester = await transport.subscribe({
      groupId: `${prefix}requester`,
      topics: [replies],
      from: 'latest',
      onBatch: async (records) => {
        const now = wallNow();
        for (const r of records) loop.replied(r.key, now);
        await requester.commit(nextOffsets(records));
      },
    });
    consumers.push(requester);
    await until(() => consumers.every((c) => c.assignments().length > 0), { timeoutMs: 60_000, what: 'the consumer groups to be assigned' });

    // Warm-up until replies flow (the groups may still be settling).
    for (let i = 0; i < 20; i++) await Promise.race([loop.roundTrip(false), new Promise((_, reject) => setTimeout(() => reject(new Error('no reply within 30 s')), 30_000))]);

    // The machine's CPU per round trip, as the client alone's: this process, and on Kafka the replier's and the local broker's.
    const pids = o.bus === 'kafka' ? [replier.pid, ...localBrokerPids(brokersFromEnv())] : [];
    const results = await measureRoundTrips(loop, { ...o, pids, label: `raw/${o.bus}` });
    if (o.bus === 'kafka') for (const r of Object.values(results)) r.brokerCounted = pids.length > 1;
    return { bus: o.bus, partitions: o.partitions, ...results };
  } finally {
    if (replier && replier.exitCode === null) {
      replier.send('stop');
      await Promise.race([new Promise((resolve) => replier.once('exit', resolve)), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (replier.exitCode === null) replier.kill('SIGKILL');
    }
    for (const c of consumers) await c.close().catch(() => undefined);
    await bus.cleanup();
  }
}
