/**
 * The replier of the raw round trip on Kafka, in a process of its own like the Kafka client
 * alone's: `node transport-replier.mjs <json>` consumes the requests with our Transport and
 * replies to each batch in one commit(offsets, produce), as the engine's loop does.
 */
import { createKafkaTransport } from '@orchestrator-lite/transport';
import { nextOffsets } from '../phases/raw-roundtrip.mjs';

const { brokers, requests, replies, group } = JSON.parse(process.argv[2]);
const transport = createKafkaTransport({ brokers, clientId: 'orch-bench-raw-replier' });
let consumer;
consumer = await transport.subscribe({
  groupId: group,
  topics: [requests],
  from: 'latest',
  onBatch: async (records) => {
    const out = records.map((r) => ({ topic: replies, key: r.key, value: r.value }));
    await consumer.commit(nextOffsets(records), out);
  },
});
const assigned = async () => {
  while (consumer.assignments().length === 0) await new Promise((r) => setTimeout(r, 50));
};
await assigned();
process.send?.({ ready: true });
await new Promise((resolve) => process.on('message', (m) => m === 'stop' && resolve()));
await consumer.close();
await transport.close();
process.exit(0);
