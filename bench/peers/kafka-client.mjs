/**
 * The Kafka client alone, no project code: the pinned @platformatic/kafka `Producer` and
 * `Consumer`, as a user of the client would write request/reply. Sends are merged per turn of the
 * event loop; the consumer stream polls with `maxWaitTime: 5` and autocommits.
 *
 * `node kafka-client.mjs replier <json>` is the other process: it consumes the requests and sends
 * each back on the replies topic. The requester side is `openClient` below.
 */
import { Consumer, Producer } from '@platformatic/kafka';

/** A producer whose `send` calls made in one turn of the event loop go out as one request. */
export function turnBatchedProducer(brokers, clientId) {
  const producer = new Producer({ clientId, bootstrapBrokers: brokers, idempotent: true, acks: -1 });
  let queued = [];
  const flush = () => {
    const batch = queued;
    queued = [];
    producer.send({ messages: batch.map((q) => q.message) }).then(
      () => batch.forEach((q) => q.resolve()),
      (error) => batch.forEach((q) => q.reject(error)),
    );
  };
  return {
    send: (message) =>
      new Promise((resolve, reject) => {
        if (queued.length === 0) setImmediate(flush);
        queued.push({ message, resolve, reject });
      }),
    close: () => producer.close(),
  };
}

/** A group consumer of `topic` calling `onMessage` for each record, from the latest offset. */
export async function streamConsumer(brokers, clientId, groupId, topic, onMessage) {
  const consumer = new Consumer({ clientId, groupId, bootstrapBrokers: brokers, maxWaitTime: 5, sessionTimeout: 6000, heartbeatInterval: 1000 });
  const stream = await consumer.consume({ topics: [topic], mode: 'latest', autocommit: 100, maxWaitTime: 5 });
  stream.on('data', onMessage);
  stream.on('error', (error) => process.stderr.write(`bench client: ${error.message}\n`));
  return {
    assigned: () => (consumer.assignments ?? []).length > 0,
    close: async () => {
      await stream.close().catch(() => undefined);
      await consumer.close(true).catch(() => undefined);
    },
  };
}

async function replier({ brokers, requests, replies, group }) {
  const producer = turnBatchedProducer(brokers, 'bench-client-replier-p');
  const consumer = await streamConsumer(brokers, 'bench-client-replier-c', group, requests, (m) => {
    void producer.send({ topic: replies, key: m.key, value: m.value }).catch((error) => process.stderr.write(`bench client replier: ${error.message}\n`));
  });
  process.send?.({ ready: true });
  await new Promise((resolve) => process.on('message', (m) => m === 'stop' && resolve()));
  await consumer.close();
  await producer.close();
  process.exit(0);
}

if (process.argv[2] === 'replier') await replier(JSON.parse(process.argv[3]));
