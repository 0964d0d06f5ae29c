import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { topicNames } from '@orchestrator-lite/core';
import { createEmbeddedTransport } from '../src/embedded/index.js';
import { checkCoPartitioned, provisionTopics } from '../src/provision.js';

test('provisioning creates every topic, compacts the changelogs, and refuses topics that are not co-partitioned', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-provision-'));
  const transport = createEmbeddedTransport({ dataDir });
  t.after(async () => {
    await transport.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
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
