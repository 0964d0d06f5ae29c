/**
 * `orch start` on Kafka: every role in one process, the orchestrator on a thread of its own with
 * a Kafka client of its own. A demo workflow runs to its end, the thread logs as the process does,
 * and SIGTERM closes the thread's orchestrator (its partitions revoked) before the process exits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ensureKafka, kafkaSkip, randomPrefix } from '@orchestrator-lite/testing';
import { freePort, post, startOrch, tempDir, waitForStatus } from './helpers.js';

test('orch start on Kafka runs the diamond; the orchestrator, on its thread, logs as the process does and closes on SIGTERM', { skip: kafkaSkip(), timeout: 180_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const orch = await startOrch(t, { dataDir: tempDir(t), port: await freePort(), env: { KAFKA_BROKERS: brokers.join(','), ORCH_TOPIC_PREFIX: randomPrefix('start') } });
  const lines = () =>
    orch
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { role?: string; msg: string; pid: number });
  // The thread's own lines: the process's format and pid, its role named.
  const restored = lines().filter((l) => l.role === 'orchestrator' && l.msg === 'partition assigned and restored');
  assert.ok(restored.length > 0, `the orchestrator's thread logged its partitions:\n${orch.output()}`);
  assert.equal(restored[0]!.pid, orch.child.pid);
  assert.ok(lines().some((l) => /^orchestrator \S+ running \(topics .*, 6 partitions, on a thread of its own with its own Kafka client\)$/.test(l.msg)), orch.output());

  const accepted = await post(`${orch.url}/api/v1/runs`, { workflow: 'diamond', input: { value: 7 } });
  assert.equal(accepted.status, 202);
  const run = await waitForStatus(orch.url, String(accepted.body.runId), ['SUCCEEDED', 'FAILED'], 90_000);
  assert.equal(run.status, 'SUCCEEDED');
  assert.deepEqual(run.steps.d!.output, { b: { branch: 'b', from: 7 }, c: { branch: 'c', failTimes: 2, from: 7, succeededOnAttempt: 3 } });

  orch.child.kill('SIGTERM');
  const code = await new Promise((resolve) => orch.child.once('exit', resolve));
  assert.equal(code, 0, orch.output());
  assert.ok(lines().some((l) => l.role === 'orchestrator' && l.msg === 'partition revoked'), `the thread's orchestrator closed:\n${orch.output()}`);
});
