/**
 * The baseline: the Kafka client alone (bench/peers/kafka-client.mjs), no project code. Request and
 * reply cross two processes: this one produces requests and consumes replies, a forked replier
 * consumes requests and produces replies. Same shape and windows as `raw-kafka`: one in flight
 * (latency), then `window` in flight (throughput).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';
import { cpuMeter, localBrokerPids } from '../lib/broker-cpu.mjs';
import { brokersFromEnv, deleteTopicsWithPrefix, randomPrefix } from '../lib/bus.mjs';
import { closedLoop } from '../lib/load.mjs';
import { sleep, summarize, until, wallNow } from '../lib/stats.mjs';
import { streamConsumer, turnBatchedProducer } from '../peers/kafka-client.mjs';

export async function run(o) {
  const brokers = brokersFromEnv();
  const prefix = randomPrefix('client');
  const requests = `${prefix}requests`;
  const replies = `${prefix}replies`;
  const admin = new Admin({ clientId: 'bench-client-admin', bootstrapBrokers: brokers });
  let child;
  let producer;
  let consumer;
  try {
    await admin.createTopics({ topics: [requests, replies], partitions: o.partitions, replicas: 1 });
    await until(async () => {
      const m = await admin.metadata({ topics: [requests, replies], forceUpdate: true }).catch(() => undefined);
      return [requests, replies].every((t) => m?.topics.get(t)?.partitions.every((p) => p.leader >= 0));
    }, { timeoutMs: 30_000, what: 'the topics to have leaders' });

    child = fork(fileURLToPath(new URL('../peers/kafka-client.mjs', import.meta.url)), ['replier', JSON.stringify({ brokers, requests, replies, group: `${prefix}replier` })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`the replier exited with ${code}`)));
    });

    const waiting = new Map();
    producer = turnBatchedProducer(brokers, 'bench-client-requester-p');
    consumer = await streamConsumer(brokers, 'bench-client-requester-c', `${prefix}requester`, replies, (m) => {
      const now = wallNow();
      waiting.get(m.key.toString())?.(now);
    });

    let counter = 0;
    let samples = [];
    let completed = 0;
    let window = { t0: Infinity, t1: Infinity };
    const roundTrip = async (measured) => {
      const key = `k${++counter}`;
      const sentAt = wallNow();
      const replied = new Promise((resolve) => waiting.set(key, resolve));
      await producer.send({ topic: requests, key: Buffer.from(key), value: Buffer.from(JSON.stringify({ key, sentAt })) });
      const at = await replied;
      waiting.delete(key);
      if (measured) samples.push(at - sentAt);
      if (at >= window.t0 && at < window.t1) completed++;
    };
    // Warm-up until replies flow: both groups start at 'latest', so early requests may be missed.
    const deadline = Date.now() + 60_000;
    for (let ok = 0; ok < 20; ) {
      if (Date.now() > deadline) throw new Error('the client alone: no replies within 60 s');
      const r = await Promise.race([roundTrip(false).then(() => true), sleep(2000).then(() => false)]);
      if (r) ok++;
    }

    const results = {};
    for (const [name, inFlight] of [['single', 1], ['saturation', o.window]]) {
      samples = [];
      completed = 0;
      // The machine's CPU per round trip: both processes and the local broker (none counted when it is remote).
      const pids = [child.pid, ...localBrokerPids(brokers)];
      const cpu = cpuMeter(pids);
      const r = await closedLoop({ start: roundTrip, window: inFlight, warmupMs: o.warmupMs, measureMs: o.measureMs, onWindow: (t0, t1) => (window = { t0, t1 }) });
      const rate = completed / ((r.t1 - r.t0) / 1000);
      // As the engine's CPU per step: per round trip of the window's rate.
      const cpuUsPerRoundTrip = cpu.usPer(rate);
      results[name] = { inFlight, roundTripsPerSec: Math.round(rate * 100) / 100, latency: summarize(samples), errors: r.errors, cpuUsPerRoundTrip, brokerCounted: pids.length > 1 };
      process.stderr.write(`  client alone ${name}: ${results[name].roundTripsPerSec} round trips/s, p50 ${results[name].latency.p50} ms p99 ${results[name].latency.p99} ms\n`);
    }
    return { client: '@platformatic/kafka', partitions: o.partitions, ...results };
  } finally {
    await consumer?.close().catch(() => undefined);
    await producer?.close().catch(() => undefined);
    if (child && child.exitCode === null) {
      child.send('stop');
      await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await admin.close().catch(() => undefined);
    await deleteTopicsWithPrefix(brokers, prefix);
  }
}
