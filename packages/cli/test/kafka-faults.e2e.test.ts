import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { encodeMessage, topicNames } from '@orchestrator-lite/core';
import { createKafkaTransport, DLQ_HEADERS } from '@orchestrator-lite/transport';
import { ensureKafka, kafkaSkip, randomPrefix, spawnRole, waitFor } from '@orchestrator-lite/testing';
import type { SpawnedRole } from '@orchestrator-lite/testing';
import { createCluster, logLines, registerWorkflow } from './cluster-harness.js';
import type { Cluster } from './cluster-harness.js';
import { startDedicatedBroker } from './cluster-broker.js';
import { BIN, json } from './helpers.js';
import type { RunBody } from './helpers.js';
import { drawPlan, faultSeed, runChaos } from './fault-chaos.js';
import { checkHistory, isTerminal, readEvents, readSnapshots, readTopic, winningSnapshot } from './bus-history.js';
import { WORKLOAD_NAMES, fetchRuns, submitMix, waitForFinished } from './fault-load.js';
import { assertAccepted, registerAll } from './fault-verdict.js';

// Faults on a real broker, every role its own OS process, each test on its own topic prefix.

void test('randomized kill -9 of workers, orchestrators and the gateway under a mixed load: every accepted run ends correctly, once', { skip: kafkaSkip(), timeout: 240_000 }, async (t) => {
  const seed = faultSeed();
  const plan = drawPlan(seed, 320, { min: 7, max: 9 });
  // Printed first, so that even a timeout leaves the seed to replay.
  console.log(`[kafka-faults] seed ${seed} (replay with ORCH_FAULT_SEED=${seed}); ${plan.kills.length} kills planned`);
  t.diagnostic(`seed ${seed}; replay with ORCH_FAULT_SEED=${seed}`);
  const { brokers } = await ensureKafka();
  const cluster = createCluster(t, { brokers, prefix: randomPrefix('fk') });
  await cluster.startOrchestrator();
  await Promise.all([cluster.startOrchestrator(), cluster.startWorker(), cluster.startWorker(), cluster.startWorker(), cluster.startGateway()]);
  await registerAll(cluster);

  const started = Date.now();
  const chaos = runChaos(cluster, plan, () => false, (k) => t.diagnostic(`killed ${k.role} (pid ${k.pid}) at +${k.at} ms, down ${k.downMs} ms, back in ${k.restartMs} ms`));
  // The submissions span the kills, so that every kill lands while runs are being accepted and run.
  const { accepted, retries } = await submitMix({ url: () => cluster.url, kinds: plan.kinds, keyPrefix: `chaos-${seed}`, parallel: 4, spreadOverMs: 45_000 });
  const submittedIn = Date.now() - started;
  const kills = await chaos;
  assert.ok(kills.length >= 6, `at least 6 kills happened (seed ${seed}): ${kills.length}`);
  const duringSubmission = kills.filter((k) => k.at < submittedIn).length;
  assert.ok(duringSubmission >= 3, `at least 3 kills landed while runs were being submitted (seed ${seed}): ${duringSubmission}`);
  const killedKinds = new Set(kills.map((k) => k.role.replace(/-\d+$/, '')));
  t.diagnostic(`${accepted.length} runs accepted in ${submittedIn} ms (${retries} POSTs retried); chaos over after ${Date.now() - started} ms; kills: ${kills.map((k) => k.role).join(', ')}; roles hit: ${[...killedKinds].join(', ')}; ${duringSubmission} kills during the submissions`);

  await waitForFinished(() => cluster.url, accepted, 120_000).catch((error: unknown) => {
    throw new Error(`seed ${seed}: ${(error as Error).message}\n${cluster.tails()}`, { cause: error });
  });
  t.diagnostic(`all ${accepted.length} runs finished ${Date.now() - started} ms after the first submission`);
  await assertAccepted(t, cluster, accepted, `seed ${seed}`);
  const byKind = Object.fromEntries(WORKLOAD_NAMES.map((k) => [k, accepted.filter((a) => a.kind === k).length]));
  t.diagnostic(`mix: ${JSON.stringify(byKind)}; answers 200 (an earlier answer lost): ${accepted.filter((a) => a.status === 200).length}`);
});

// Known bug, reported as a TODO (it runs, and its failure is shown, but does not fail the suite):
// after the broker restarts, the orchestrator's group membership is never confirmed again (no
// heartbeat answer, no rejoin), so every commit is refused by the membership fence and the runs
// stall. kafka-cluster's broker-restart test fails the same way.

void test('the broker restarts in the middle of the load: every accepted run completes', { skip: kafkaSkip(), timeout: 240_000 }, async (t) => {
  const broker = await startDedicatedBroker(t);
  const cluster = createCluster(t, { brokers: broker.brokers, prefix: randomPrefix('fb'), partitions: 3 });
  await cluster.startOrchestrator();
  await Promise.all([cluster.startWorker(), cluster.startWorker(), cluster.startGateway()]);
  await registerAll(cluster);

  const kinds = Array.from({ length: 80 }, (_, i) => WORKLOAD_NAMES[i % WORKLOAD_NAMES.length]!);
  const load = submitMix({ url: () => cluster.url, kinds, keyPrefix: 'restart', parallel: 2, paceMs: 100 });
  // Restart once a good part of the load is in, while the rest is in flight or not yet sent.
  await waitFor(async () => (await json<{ counts: Record<string, number> }>(`${cluster.url}/api/v1/runs?workflow=fan&limit=1`)).body.counts.SUCCEEDED! >= 5, { timeoutMs: 60_000, description: 'the first fan runs finished' });
  const down = Date.now();
  await broker.down();
  await broker.up();
  t.diagnostic(`broker down and up again in ${Date.now() - down} ms`);
  const { accepted, retries } = await load;
  t.diagnostic(`${accepted.length} runs accepted, ${retries} POSTs retried across the outage`);
  assert.equal(accepted.length, kinds.length);
  await waitForFinished(() => cluster.url, accepted, 90_000).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${cluster.tails()}`, { cause: error });
  });
  await assertAccepted(t, cluster, accepted, 'broker restart');
  for (const role of [...cluster.orchestrators, ...cluster.workers, cluster.gateway!]) {
    assert.equal(role.child.exitCode, null, `${role.name} survived the outage`);
  }
});

void test('a zombie orchestrator (SIGSTOP past the session timeout, then SIGCONT) is fenced: no run regresses, no stale snapshot wins', { skip: kafkaSkip(), timeout: 240_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const cluster = createCluster(t, { brokers, prefix: randomPrefix('fz') });
  await cluster.startOrchestrator();
  await Promise.all([cluster.startOrchestrator(), cluster.startWorker(), cluster.startWorker(), cluster.startGateway()]);
  await registerAll(cluster);
  const partitions = cluster.options.partitions ?? 6;
  const [zombie, survivor] = cluster.orchestrators as [SpawnedRole, SpawnedRole];
  await waitFor(() => logLines(zombie.output(), 'partition assigned and restored').length > 0 && logLines(survivor.output(), 'partition assigned and restored').length > 0, { timeoutMs: 30_000, description: 'both orchestrators own partitions' });

  const kinds = Array.from({ length: 200 }, (_, i) => WORKLOAD_NAMES[(i * 5) % WORKLOAD_NAMES.length]!);
  const load = submitMix({ url: () => cluster.url, kinds, keyPrefix: 'zombie', parallel: 3, paceMs: 60 });
  await waitFor(async () => (await json<{ counts: Record<string, number> }>(`${cluster.url}/api/v1/runs?workflow=fan&limit=1`)).body.counts.SUCCEEDED! >= 5, { timeoutMs: 60_000, description: 'the first fan runs finished' });

  const survivorMark = survivor.output().length;
  const zombieMark = zombie.output().length;
  const pausedAt = Date.now();
  zombie.kill('SIGSTOP');
  try {
    // The survivor takes every partition over once the session of the paused member expired.
    await waitFor(() => new Set(logLines(survivor.output(), 'partition assigned and restored', survivorMark).map((l) => l.partition)).size === partitions, { timeoutMs: 40_000, description: `${survivor.name} restored all ${partitions} partitions` });
    const takeover = Date.now() - pausedAt;
    // Keep it paused well past the session timeout while the survivor works on its runs.
    await new Promise((r) => setTimeout(r, Math.max(0, 9000 - takeover)));
    t.diagnostic(`${survivor.name} took all partitions over ${takeover} ms after the pause; resumed after ${Date.now() - pausedAt} ms`);
  } finally {
    zombie.kill('SIGCONT');
  }
  const resumedAt = Date.now();
  // Back from the pause it must learn it was fenced and rejoin; the group splits the work again.
  await waitFor(() => logLines(zombie.output(), 'partition assigned and restored', zombieMark).length > 0, { timeoutMs: 40_000, description: `${zombie.name} rejoined and owns partitions again` }).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${cluster.tails(4000)}`, { cause: error });
  });
  t.diagnostic(`${zombie.name} owned partitions again ${Date.now() - resumedAt} ms after it resumed`);

  const { accepted } = await load;
  await waitForFinished(() => cluster.url, accepted, 120_000).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${cluster.tails()}`, { cause: error });
  });
  // Every copy of a seq carries the same content, drawn retry delays included (assertAccepted):
  // an input applied again after the pause, by the zombie whose outputs landed before its
  // snapshot was refused and by the next owner, writes the same events.
  await assertAccepted(t, cluster, accepted, 'zombie');

  // The changelog: the snapshot a restore picks (highest stateVersion) is terminal, unambiguous
  // and agrees with the gateway, for every run.
  const runs = await fetchRuns(cluster.url, accepted.map((a) => a.runId));
  const snapshots = await readSnapshots(brokers, cluster.options.prefix, runs.keys());
  const problems: string[] = [];
  for (const [runId, run] of runs) {
    const { state, problems: ambiguous } = winningSnapshot(runId, snapshots.get(runId) ?? []);
    problems.push(...ambiguous);
    if (state && (!isTerminal(state.status) || state.status !== run.status)) problems.push(`${runId}: the winning snapshot says ${state.status}, the gateway ${run.status}`);
  }
  assert.deepEqual(problems.slice(0, 10), [], `no stale snapshot wins (${problems.length} problems)`);
  const fenced = zombie.output().slice(zombieMark).split('\n').filter((l) => l.includes('no longer confirmed')).length;
  t.diagnostic(`${zombie.name}: ${fenced} outputs refused after the pause (fenced)`);
  // Inputs kept arriving during the pause, so it woke up with a batch in hand: it must refuse it.
  assert.ok(fenced >= 1, `${zombie.name} refused the outputs it computed from before the pause`);
  for (const role of [zombie, survivor]) assert.equal(role.child.exitCode, null, `${role.name} still runs`);
});

/** An orchestrator that logs at debug level, so that ignored inputs are seen with their reason. */
async function startDebugOrchestrator(t: TestContext, cluster: Cluster): Promise<SpawnedRole> {
  const role = spawnRole(t, {
    name: 'orchestrator-debug',
    args: [BIN, 'orchestrator'],
    env: { KAFKA_BROKERS: cluster.options.brokers.join(','), ORCH_TOPIC_PREFIX: cluster.options.prefix, ORCH_PARTITIONS: '3', HOST: '127.0.0.1', LOG_FORMAT: 'json', LOG_LEVEL: 'debug' },
    killTimeoutMs: 8000,
  });
  await role.waitForOutput(/orchestrator \S+ running/, 60_000);
  return role;
}

const slowChain = {
  description: 'three sleeps in a row',
  steps: ['s1', 's2', 's3'].map((id, i, ids) => ({ id, task: 'demo.sleep', ...(i > 0 ? { dependsOn: [ids[i - 1]!] } : {}), input: { ms: 1200, ticks: 2 } })),
};

void test('poison records on commands, results and a task topic are dead-lettered or ignored with a reason; real runs still complete', { skip: kafkaSkip(), timeout: 120_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const cluster = createCluster(t, { brokers, prefix: randomPrefix('fp'), partitions: 3 });
  const orchestrator = await startDebugOrchestrator(t, cluster);
  await Promise.all([cluster.startWorker(), cluster.startGateway()]);
  await registerWorkflow(cluster.url, 'chain', slowChain);
  const names = topicNames(cluster.options.prefix);

  const first = await json<{ runId: string }>(`${cluster.url}/api/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflow: 'chain' }) });
  assert.equal(first.status, 202);
  const runId = first.body.runId;
  await waitFor(async () => (await json<RunBody>(`${cluster.url}/api/v1/runs/${runId}`)).body.steps.s1?.status === 'RUNNING', { timeoutMs: 30_000, description: 'step s1 running' });

  const garbage = Buffer.from('{not json at all', 'utf8');
  const base = { v: 1, runId, workerId: 'nobody', at: Date.now() };
  const producer = createKafkaTransport({ brokers, clientId: 'fault-poison' });
  try {
    await producer.produce([
      // (a) bytes that are not JSON, keyed like the live run so they share its partition.
      { topic: names.commands, key: runId, value: garbage },
      { topic: names.results, key: runId, value: garbage },
      { topic: names.tasks('default'), key: `${runId}:s9:1`, value: garbage },
      // (b) well-formed, from a future schema.
      { topic: names.commands, key: runId, value: encodeMessage({ ...base, v: 99, type: 'CancelRun', reason: 'from the future' }) },
      // (c) a result for a run that does not exist, and one for an attempt the live run never made.
      { topic: names.results, key: 'run-that-does-not-exist', value: encodeMessage({ ...base, runId: 'run-that-does-not-exist', type: 'TaskCompleted', stepId: 's1', attempt: 1, output: 1 }) },
      { topic: names.results, key: runId, value: encodeMessage({ ...base, type: 'TaskCompleted', stepId: 's1', attempt: 7, output: 'forged' }) },
    ]);
  } finally {
    await producer.close();
  }

  // Both the run in flight and one started after the poison complete, untouched.
  const second = await json<{ runId: string }>(`${cluster.url}/api/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflow: 'chain' }) });
  assert.equal(second.status, 202);
  for (const id of [runId, second.body.runId]) {
    const run = await waitFor(async () => {
      const { body } = await json<RunBody>(`${cluster.url}/api/v1/runs/${id}`);
      return isTerminal(body.status) ? body : undefined;
    }, { timeoutMs: 60_000, description: `run ${id} finished` });
    assert.equal(run.status, 'SUCCEEDED', `run ${id}: ${JSON.stringify(run).slice(0, 500)}`);
    assert.deepEqual(Object.values(run.steps).map((s) => s.attempts.length), [1, 1, 1], 'one attempt per step: the forged result was not taken');
    assert.notEqual(run.steps.s1?.output, 'forged');
  }
  const events = await readEvents(brokers, cluster.options.prefix, [runId, second.body.runId]);
  for (const id of [runId, second.body.runId]) assert.deepEqual(checkHistory(id, events.get(id) ?? []).problems, []);

  // Four records parked on the DLQ, each with its reason and where it came from.
  const dlq = await waitFor(async () => {
    const records = await readTopic(brokers, names.dlq);
    return records.length >= 4 ? records : undefined;
  }, { timeoutMs: 30_000, description: 'four records on the DLQ' });
  const summary = dlq.map((r) => ({ source: (r.headers[DLQ_HEADERS.source] ?? '').replace(/\/\d+\/\d+$/, ''), reason: r.headers[DLQ_HEADERS.reason] ?? '' }));
  t.diagnostic(`DLQ: ${JSON.stringify(summary)}`);
  assert.equal(dlq.length, 4, 'nothing else was dead-lettered');
  const has = (topic: string, reason: RegExp): boolean => summary.some((s) => s.source === topic && reason.test(s.reason));
  assert.ok(has(names.commands, /not valid JSON/), 'commands: not JSON');
  assert.ok(has(names.results, /not valid JSON/), 'results: not JSON');
  assert.ok(has(names.tasks('default'), /not valid JSON/), 'task topic: not JSON');
  assert.ok(has(names.commands, /schema version v=99/), 'commands: v 99');

  // The two forged results were ignored, each with a logged reason.
  const output = orchestrator.output();
  assert.ok(logLines(output, 'input for an unknown run ignored').some((l) => (l as { runId?: string }).runId === 'run-that-does-not-exist'), 'the result of an unknown run was ignored with a reason');
  assert.ok(logLines(output, 'stale or duplicate result ignored').some((l) => (l as { runId?: string }).runId === runId), 'the result of an unknown attempt was ignored with a reason');
});
