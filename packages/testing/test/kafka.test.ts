import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureKafka, repoRoot } from '../src/index.js';

void test('repoRoot points at the repository', () => {
  assert.ok(existsSync(join(repoRoot, 'deploy/kafka/kafka.sh')), repoRoot);
});

void test('ensureKafka returns a reachable broker list', async () => {
  const { brokers } = await ensureKafka();
  assert.ok(brokers.length > 0);
  for (const b of brokers) assert.match(b, /^[^:]+:\d+$/);
});
