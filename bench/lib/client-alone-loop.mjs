/**
 * The Kafka client alone's request/reply loop (bench/peers/kafka-client.mjs), no project code:
 * this process produces requests and consumes replies, a forked replier consumes requests and
 * produces replies, on two topics of their own. Used by the `client-alone` phase, which measures
 * it, and by `broker-warmup`, which runs it to warm the broker.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';
import { deleteTopicsWithPrefix, randomPrefix } from './bus.mjs';
import { roundTripLoop } from './round-trips.mjs';
import { sleep, until, wallNow } from './stats.mjs';
import { streamConsumer, turnBatchedProducer } from '../peers/kafka-client.mjs';

/**
 * Creates the topics, starts the replier and both clients, and returns once replies flow: the
 * loop of `round-trips.mjs`, with the replier's pid and `close()`.
 */
export async function openClientAlone(brokers, partitions) {
  const prefix = randomPrefix('client');
  const requests = `${prefix}requests`;
  const replies = `${prefix}replies`;
  const admin = new Admin({ clientId: 'bench-client-admin', bootstrapBrokers: brokers });
  let child;
  let producer;
  let consumer;
  const close = async () => {
    await consumer?.close().catch(() => undefined);
    await producer?.close().catch(() => undefined);
    if (child && child.exitCode === null) {
      child.send('stop');
      await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await admin.close().catch(() => undefined);
    await deleteTopicsWithPrefix(brokers, prefix);
  };
  try {
    await admin.createTopics({ topics: [requests, replies], partitions, replicas: 1 });
    await until(async () => {
      const m = await admin.metadata({ topics: [requests, replies], forceUpdate: true }).catch(() => undefined);
      return [requests, replies].every((t) => m?.topics.get(t)?.partitions.every((p) => p.leader >= 0));
    }, { timeoutMs: 30_000, what: 'the topics to have leaders' });

    child = fork(fileURLToPath(new URL('../peers/kafka-client.mjs', import.meta.url)), ['replier', JSON.stringify({ brokers, requests, replies, group: `${prefix}replier` })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`the replier exited with ${code}`)));
    });

    producer = turnBatchedProducer(brokers, 'bench-client-requester-p');
    const loop = roundTripLoop((key, value) => producer.send({ topic: requests, key: Buffer.from(key), value }));
    consumer = await streamConsumer(brokers, 'bench-client-requester-c', `${prefix}requester`, replies, (m) => loop.replied(m.key.toString(), wallNow()));
    loop.replierPid = child.pid;
    loop.close = close;
    // Warm-up until replies flow: both groups start at 'latest', so early requests may be missed.
    const deadline = Date.now() + 60_000;
    for (let ok = 0; ok < 20; ) {
      if (Date.now() > deadline) throw new Error('the client alone: no replies within 60 s');
      const r = await Promise.race([loop.roundTrip(false).then(() => true), sleep(2000).then(() => false)]);
      if (r) ok++;
    }
    return loop;
  } catch (error) {
    await close();
    throw error;
  }
}
