import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { ensureKafka, kafkaSkip, randomPrefix, waitFor } from '@orchestrator-lite/testing';
import { FAN_OUT_STEPS, createCluster, fanOutWorkflow, logLines, registerWorkflow, runCounts, submitRuns, waitForSucceeded } from './cluster-harness.js';
import type { Cluster } from './cluster-harness.js';
import type { SpawnedRole } from '@orchestrator-lite/testing';
import { checkGatewayHistories, checkRunHistory, readBusHistory } from './cluster-history.js';
import { startDedicatedBroker } from './cluster-broker.js';
import { json, post } from './helpers.js';
import type { RunBody } from './helpers.js';

// Every role is its own OS process (`node bin.js <role>`) on a real broker; each test has its own
// topic prefix, so the tests share the broker without sharing topics or consumer groups.

const RUNS = 200;
const WORKFLOW = 'fan';

/**
 * The fan-out workflow with its slow branch held for a second: a run submitted within the last
 * second is still in flight, however fast the rest of the engine is.
 */
const slowFanOutWorkflow = {
  ...fanOutWorkflow,
  steps: fanOutWorkflow.steps.map((step) => (step.id === 'p4' ? { ...step, input: { ms: 1000, ticks: 2 } } : step)),
};

/** 2 orchestrators, 3 demo workers and a gateway; the first orchestrator provisions the topics. */
async function startFullCluster(t: TestContext, brokers: string[], definition: object = fanOutWorkflow): Promise<Cluster> {
  const cluster = createCluster(t, { brokers, prefix: randomPrefix('cl') });
  await cluster.startOrchestrator();
  await Promise.all([cluster.startOrchestrator(), cluster.startWorker(), cluster.startWorker(), cluster.startWorker(), cluster.startGateway()]);
  await registerWorkflow(cluster.url, WORKFLOW, definition);
  return cluster;
}

/** Every run, seen through the gateway and on the raw bus, succeeded exactly once per step. */
async function assertHistories(cluster: Cluster, runIds: string[]): Promise<Map<string, number>> {
  const gatewayProblems = await checkGatewayHistories(cluster.url, runIds, FAN_OUT_STEPS);
  assert.deepEqual(gatewayProblems.slice(0, 20), [], 'the gateway shows every run with a sound history');

  const bus = await readBusHistory(cluster.options.brokers, cluster.options.prefix, runIds);
  assert.equal(bus.events.size, runIds.length, 'every run has events on the bus');
  const problems = runIds.flatMap((runId) => checkRunHistory(runId, bus.events.get(runId) ?? [], FAN_OUT_STEPS));
  assert.deepEqual(problems.slice(0, 20), [], 'the raw events topic holds a sound history for every run');

  // Spot-check one run's output: the join saw its inputs through the templates.
  const sample = await json<{ status: string; output: unknown; input: { n: number } }>(`${cluster.url}/api/v1/runs/${runIds[7]}`);
  assert.deepEqual(sample.body.output, { n: sample.body.input.n, p1: 1, p5: 5 });
  return bus.starts;
}

void test('a cluster of separate processes runs 200 fan-out/fan-in workflows to completion', { skip: kafkaSkip(), timeout: 150_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const cluster = await startFullCluster(t, brokers);

  const started = Date.now();
  const runIds = await submitRuns(cluster.url, WORKFLOW, RUNS);
  assert.equal(new Set(runIds).size, RUNS);
  const counts = await waitForSucceeded(cluster, WORKFLOW, RUNS, 90_000);
  t.diagnostic(`${RUNS} runs × ${FAN_OUT_STEPS.length} steps in ${Date.now() - started} ms`);
  assert.deepEqual(counts, { PENDING: 0, RUNNING: 0, SUCCEEDED: RUNS, FAILED: 0, CANCELLED: 0 });

  const starts = await assertHistories(cluster, runIds);
  // Nothing failed: one attempt per step. Delivery is at-least-once, so a rebalance while the
  // workers join may run an attempt twice, never more.
  assert.equal(starts.size, RUNS * FAN_OUT_STEPS.length, 'one attempt per step');
  assert.ok([...starts.keys()].every((k) => k.endsWith('#1')), 'first attempts only');
  assert.deepEqual([...starts].filter(([, n]) => n > 2), [], 'no attempt ran more than twice');
  t.diagnostic(`attempts started twice: ${[...starts].filter(([, n]) => n === 2).length}`);

  // Both orchestrators own a share of the partitions: the work really was split between them.
  for (const orchestrator of cluster.orchestrators) {
    assert.ok(logLines(orchestrator.output(), 'partition assigned and restored').length > 0, `${orchestrator.name} owned partitions`);
  }
});

void test('kill -9 of an orchestrator and a worker mid-load: no run is lost, no step succeeds twice, the survivor takes over', { skip: kafkaSkip(), timeout: 180_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const cluster = await startFullCluster(t, brokers, slowFanOutWorkflow);
  const partitions = cluster.options.partitions ?? 6;

  // The runs go in over about four seconds, and each holds a step for one: when ~30% of them
  // finished, the runs of the last second are in flight and more are still to come.
  const submitted = submitRuns(cluster.url, WORKFLOW, RUNS, { perSecond: 50 });
  await waitForSucceeded(cluster, WORKFLOW, Math.round(RUNS * 0.3), 90_000);
  const [victim, survivor] = cluster.orchestrators as [SpawnedRole, SpawnedRole];
  const deadWorker = cluster.workers[0]!;
  const survivorMark = survivor.output().length;
  victim.kill('SIGKILL');
  deadWorker.kill('SIGKILL');
  assert.equal(await victim.exited(), 'SIGKILL');
  assert.equal(await deadWorker.exited(), 'SIGKILL');
  const atKill = await runCounts(cluster.url, WORKFLOW);
  t.diagnostic(`killed ${victim.name} and ${deadWorker.name} at ${JSON.stringify(atKill)}`);
  assert.ok(atKill.PENDING + atKill.RUNNING > 0, 'runs were in flight at the kill');

  const runIds = await submitted;
  const counts = await waitForSucceeded(cluster, WORKFLOW, RUNS, 120_000);
  assert.deepEqual(counts, { PENDING: 0, RUNNING: 0, SUCCEEDED: RUNS, FAILED: 0, CANCELLED: 0 });

  // The survivor restored every partition from the state topic after the kill (the group's
  // session timeout expired the dead member, and the rebalance gave it all of them).
  const restored = new Set(logLines(survivor.output(), 'partition assigned and restored', survivorMark).map((l) => l.partition));
  assert.deepEqual([...restored].sort(), Array.from({ length: partitions }, (_, i) => i), `${survivor.name} restored every partition`);

  const starts = await assertHistories(cluster, runIds);
  // At-least-once delivery: a task the dead worker held may run again, but as the same attempt.
  const retried = [...starts.keys()].filter((k) => !k.endsWith('#1'));
  assert.deepEqual(retried, [], 'redelivered tasks kept their attempt number');
  const twice = [...starts].filter(([, n]) => n > 1).length;
  t.diagnostic(`attempts started more than once (redelivered after the kill): ${twice}`);
});

const chainWorkflow = {
  description: 'four sleeps in a row',
  steps: ['s1', 's2', 's3', 's4'].map((id, i, ids) => ({
    id,
    task: 'demo.sleep',
    ...(i > 0 ? { dependsOn: [ids[i - 1]!] } : {}),
    input: { ms: 1500, ticks: 3 },
  })),
};

void test('the broker restarts in the middle of a run: every role reconnects and the run completes', { skip: kafkaSkip(), timeout: 240_000 }, async (t) => {
  const broker = await startDedicatedBroker(t);
  const cluster = createCluster(t, { brokers: broker.brokers, prefix: randomPrefix('rs'), partitions: 3 });
  await cluster.startOrchestrator();
  await Promise.all([cluster.startWorker(), cluster.startGateway()]);
  await registerWorkflow(cluster.url, 'chain', chainWorkflow);

  const [before] = await submitRuns(cluster.url, 'chain', 1);
  await waitFor(async () => (await json<RunBody>(`${cluster.url}/api/v1/runs/${before}`)).body.steps?.s2?.status === 'RUNNING', { timeoutMs: 30_000, description: 'step s2 running' });
  await broker.down();
  // s2 ends while the broker is away: its result cannot be written, and the worker keeps it.
  const worker = cluster.workers[0]!;
  await worker.waitForOutput(/producing task results failed; retrying/, 30_000);
  await broker.up();

  // The gateway writes again once its producer reconnected (until then it answers 503).
  let after: string | undefined;
  await waitFor(async () => {
    const response = await post(`${cluster.url}/api/v1/runs`, { workflow: 'chain' });
    if (response.status === 202) after = String(response.body.runId);
    else assert.equal(response.status, 503, `a bus outage is a 503: ${JSON.stringify(response.body)}`);
    return after !== undefined;
  }, { timeoutMs: 60_000, intervalMs: 500, description: 'the gateway accepting a run after the restart' });

  const counts = await waitForSucceeded(cluster, 'chain', 2, 120_000);
  assert.deepEqual(counts, { PENDING: 0, RUNNING: 0, SUCCEEDED: 2, FAILED: 0, CANCELLED: 0 });
  const bus = await readBusHistory(broker.brokers, cluster.options.prefix, [before!, after!]);
  for (const runId of [before!, after!]) {
    assert.deepEqual(checkRunHistory(runId, bus.events.get(runId) ?? [], ['s1', 's2', 's3', 's4']), []);
  }
  for (const role of [...cluster.orchestrators, ...cluster.workers, cluster.gateway!]) {
    assert.equal(role.child.exitCode, null, `${role.name} is still running`);
  }
});
