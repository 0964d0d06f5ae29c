/**
 * The other member of stalled-rejoin.test.ts: a plain client of the pinned Kafka library that
 * joins the group with an assignment protocol no transport member speaks, so that, while it is
 * in the group, a transport member's join is refused (INCONSISTENT_GROUP_PROTOCOL). It says
 * `trying` once the group first refuses it, keeps trying until the group takes it, then writes
 * the file JOINED (which a paused process can look for without turning its event loop), and
 * leaves the group when told to stop.
 *
 *   node foreign-member.fixture.js BROKER GROUP TOPIC JOINED
 */
import { writeFileSync } from 'node:fs';
import { Consumer } from '@platformatic/kafka';

const [broker, groupId, topic, joinedFile] = process.argv.slice(2) as [string, string, string, string];
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
for (let attempt = 0; ; attempt++) {
  try {
    await consumer.joinGroup({});
    break;
  } catch (error) {
    if (Date.now() > deadline) throw error;
    if (attempt === 0) process.stdout.write('trying\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
writeFileSync(joinedFile, 'joined\n');
process.once('SIGTERM', () => {
  void consumer.close(true).then(() => process.exit(0));
});
