/**
 * The other member of stalled-rejoin.test.ts: a plain client of the pinned Kafka library that
 * joins the group with an assignment protocol no transport member speaks, so that, while it is
 * in the group, a transport member's join is refused (INCONSISTENT_GROUP_PROTOCOL). It keeps
 * trying until the group takes it, says `joined`, and leaves the group when told to stop.
 *
 *   node foreign-member.fixture.js BROKER GROUP TOPIC
 */
import { Consumer } from '@platformatic/kafka';

const [broker, groupId, topic] = process.argv.slice(2) as [string, string, string];
const consumer = new Consumer({
  clientId: 'foreign-member',
  bootstrapBrokers: [broker],
  groupId,
  sessionTimeout: 3000,
  heartbeatInterval: 500,
  rebalanceTimeout: 3000,
  protocols: [{ name: 'foreign', version: 1 }],
  autocommit: false,
});
consumer.topics.trackAll(topic);

const deadline = Date.now() + 60_000;
for (;;) {
  try {
    await consumer.joinGroup({});
    break;
  } catch (error) {
    if (Date.now() > deadline) throw error;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
process.stdout.write('joined\n');
process.once('SIGTERM', () => {
  void consumer.close(true).then(() => process.exit(0));
});
