import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createKafkaTransport } from '../../src/kafka/index.js';
import type { TopicPartition } from '../../src/types.js';
import { ensureKafka, kafkaSkip, randomPrefix, waitUntil } from './broker.js';

/**
 * Holds this process's event loop, as a pause of the process (GC, SIGSTOP, a stalled VM) would:
 * at least `ms`, then until `done()` (bounded by `maxMs`). Returns how long it held.
 */
function pause(ms: number, done: () => boolean, maxMs: number): number {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const start = Date.now();
  Atomics.wait(cell, 0, 0, ms);
  while (!done() && Date.now() - start < maxMs) Atomics.wait(cell, 0, 0, 100);
  return Date.now() - start;
}

// A member paused past its session timeout finds its membership gone, and its client rejoins by
// itself; here that rejoin is refused (another member took the group with a protocol this one
// does not speak), after which the client heartbeats no more. Once the group can take it again,
// the member must join again and own its partitions, however its client's own rejoin ended.
void test('a member whose client gave up rejoining after a pause joins again once the group can take it', { skip: kafkaSkip(), timeout: 120_000 }, async (t) => {
  const brokers = await ensureKafka();
  const transport = createKafkaTransport({ brokers, clientId: 'stalled-rejoin-test', sessionTimeoutMs: 3000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 3000 });
  t.after(() => transport.close());
  const p = randomPrefix();
  const topic = `${p}commands`;
  const groupId = `${p}group`;
  await transport.ensureTopics([{ name: topic, partitions: 2 }]);

  const assigned: TopicPartition[][] = [];
  const consumer = await transport.subscribe({
    groupId,
    topics: [topic],
    onAssign: (partitions) => {
      assigned.push(partitions);
    },
    // The pause breaks requests in flight; what matters is what the member owns afterwards.
    onError: () => undefined,
    onBatch: async () => undefined,
  });
  t.after(() => consumer.close());
  await waitUntil(() => assigned.at(-1)?.length === 2, 20_000, 'the first assignment');
  const before = assigned.length;

  const dir = mkdtempSync(join(tmpdir(), 'orch-stalled-rejoin-'));
  const joined = join(dir, 'joined');
  const fixture = fileURLToPath(new URL('./foreign-member.fixture.js', import.meta.url));
  const foreign = spawn(process.execPath, [fixture, brokers[0]!, groupId, topic, joined], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    foreign.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  let output = '';
  foreign.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => foreign.once('exit', resolve));
  // It is up, and refused while this member holds the group.
  await waitUntil(() => output.includes('trying'), 30_000, 'the foreign member to try the group');

  // Past the session timeout, until the other member has joined: the coordinator drops this one
  // meanwhile, and its client finds out only afterwards.
  const held = pause(6000, () => existsSync(joined), 30_000);
  assert.ok(existsSync(joined), `the foreign member joined while this one was paused (${held} ms)`);
  // This member's client now finds its membership gone and rejoins, in vain while the other holds
  // the group; give it time to give up.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  assert.equal(assigned.length, before, 'no assignment while the foreign member holds the group');

  foreign.kill('SIGTERM');
  await exited;
  await waitUntil(() => assigned.length > before && assigned.at(-1)?.length === 2, 30_000, 'the member to join again and own both partitions');
  assert.deepEqual(
    assigned.at(-1)!.map((tp) => tp.partition).sort(),
    [0, 1],
  );
});
