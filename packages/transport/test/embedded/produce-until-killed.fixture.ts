/**
 * A child process for the crash test: produces batches forever (bounded) and prints one
 * `ack` line per batch once `produce` resolved, until the parent kills it with SIGKILL. Each line
 * ends with `end`, so the parent can tell a whole line from one the kill cut short.
 * Usage: node produce-until-killed.fixture.js <dataDir> <topic>
 */
import { createEmbeddedTransport } from '../../src/embedded/index.js';

const [dataDir, topic] = process.argv.slice(2);
if (dataDir === undefined || topic === undefined) throw new Error('usage: produce-until-killed <dataDir> <topic>');
const transport = createEmbeddedTransport({ dataDir });
await transport.ensureTopics([{ name: topic, partitions: 3 }]);
process.stdout.write('ready\n');
for (let i = 0; i < 200_000; i++) {
  const records = [0, 1, 2].map((j) => ({ topic, key: `k${i}-${j}`, value: Buffer.from(`v${i}-${j}`) }));
  const metadata = await transport.produce(records);
  // Written synchronously (stdout is a pipe), so an ack line never precedes its durable write.
  process.stdout.write(`ack ${metadata.map((m, j) => `${m.partition}:${m.offset}:k${i}-${j}`).join(' ')} end\n`);
}
await transport.close();
