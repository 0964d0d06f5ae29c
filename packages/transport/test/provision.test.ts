import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { topicNames } from '@orchestrator-lite/core';
import { createEmbeddedTransport } from '../src/embedded/index.js';
import { DEFAULT_PARTITIONS, EMBEDDED_DEFAULT_PARTITIONS, checkCoPartitioned, defaultPartitions, provisionTopics } from '../src/provision.js';
import type { Transport } from '../src/types.js';

/** An embedded bus in a fresh directory, closed and removed after the test. */
function embeddedBus(t: { after(fn: () => Promise<void>): void }): ReturnType<typeof createEmbeddedTransport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-provision-'));
  const transport = createEmbeddedTransport({ dataDir });
  t.after(async () => {
    await transport.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return transport;
}

test('provisioning creates every topic, compacts the changelogs, and refuses topics that are not co-partitioned', async (t) => {
  const transport = embeddedBus(t);
  const names = topicNames('p.');
  await provisionTopics(transport, names, { partitions: 3, queues: ['emails'] });
  for (const topic of [names.commands, names.results, names.state, names.events, names.tasks('emails')]) {
    assert.equal(await transport.partitionCount(topic), 3, topic);
  }
  await provisionTopics(transport, names, { partitions: 3 }); // idempotent

  const broken = topicNames('q.');
  await transport.ensureTopics([{ name: broken.events, partitions: 4 }]);
  await assert.rejects(provisionTopics(transport, broken, { partitions: 3 }), /partition/);
  await transport.ensureTopics([broken.commands, broken.results, broken.state].map((name) => ({ name, partitions: 3 })));
  await assert.rejects(checkCoPartitioned(transport, [broken.commands, broken.results, broken.state, broken.events]), /not co-partitioned.*events=4/);
  await checkCoPartitioned(transport, [names.commands, names.results, names.state, names.events]);
});

test('without a partition count, a deployment on the embedded bus gets one partition, and one made with another count keeps it', async (t) => {
  const transport = embeddedBus(t);
  const fresh = topicNames('fresh.');
  assert.equal(EMBEDDED_DEFAULT_PARTITIONS, 1);
  assert.equal(await defaultPartitions(transport, fresh), EMBEDDED_DEFAULT_PARTITIONS);
  assert.equal(await provisionTopics(transport, fresh), 1);
  assert.equal(await transport.partitionCount(fresh.events), 1);

  const older = topicNames('older.');
  await provisionTopics(transport, older, { partitions: 6 });
  assert.equal(await defaultPartitions(transport, older), 6);
  assert.equal(await provisionTopics(transport, older), 6);
  // Only "unknown topic" means a new deployment: any other failure to read the count is an error.
  const failing = { kind: 'embedded', partitionCount: () => Promise.reject(new Error('disk I/O error')) } as unknown as Transport;
  await assert.rejects(defaultPartitions(failing, fresh), /disk I\/O error/);
});

test('without a partition count, a deployment on Kafka gets DEFAULT_PARTITIONS without asking the cluster', async () => {
  const kafka = { kind: 'kafka', partitionCount: () => assert.fail('a topic lookup can create the topic on a broker that creates topics on use') } as unknown as Transport;
  assert.equal(await defaultPartitions(kafka, topicNames('k.')), DEFAULT_PARTITIONS);
  assert.equal(DEFAULT_PARTITIONS, 6);
});
