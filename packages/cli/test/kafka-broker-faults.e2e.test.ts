import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { topicNames } from '@orchestrator-lite/core';
import { kafkaSkip, randomPrefix, waitFor } from '@orchestrator-lite/testing';
import { ensureBrokerCluster } from './broker-cluster.js';
import type { BrokerCluster } from './broker-cluster.js';
import { createCluster, runCounts } from './cluster-harness.js';
import type { Cluster } from './cluster-harness.js';
import { WORKLOAD_NAMES, submitMix, waitForFinished } from './fault-load.js';
import { assertAccepted, registerAll } from './fault-verdict.js';
import { ProgressMeter, describeStall } from './progress-meter.js';

// Faults of the bus itself: a 3-node KRaft cluster (each node a broker and a controller), topics
// with 3 replicas and min.insync.replicas 2, producers with acks=all. One node is killed with
// SIGKILL in the middle of the load and started again; every accepted run must still end in its
// correct state, with no step completed twice. The stall around each fault is printed.

const RUNS = 320;
const SPREAD_MS = 30_000;
/** Each test's bound; the waits inside share it, so a stuck engine fails with its logs, not a bare timeout. */
const TEST_TIMEOUT_MS = 420_000;

async function startEngine(t: TestContext, brokers: BrokerCluster, label: string): Promise<Cluster> {
  const cluster = createCluster(t, { brokers: brokers.brokers, prefix: randomPrefix(label) });
  await cluster.startOrchestrator();
  await Promise.all([cluster.startOrchestrator(), cluster.startWorker(), cluster.startWorker(), cluster.startGateway()]);
  await registerAll(cluster);
  return cluster;
}

/**
 * Submits RUNS runs spread over SPREAD_MS; once a third of them finished, kill -9 the node `pick`
 * chooses, start it again after `downMs`, and check every accepted run.
 */
async function killMidLoad(t: TestContext, label: string, pick: (brokers: BrokerCluster, cluster: Cluster) => Promise<{ node: number; why: string }>): Promise<void> {
  const deadline = Date.now() + TEST_TIMEOUT_MS - 30_000;
  const brokers = await ensureBrokerCluster(t);
  const cluster = await startEngine(t, brokers, label);
  const commands = topicNames(cluster.options.prefix).commands;
  const { replicas, minInsync } = await brokers.replication(commands);
  assert.ok(replicas.length > 0 && replicas.every((n) => n === 3), `every partition of ${commands} has 3 replicas: ${replicas.join(',')}`);
  assert.equal(minInsync, '2', 'min.insync.replicas is 2');

  const meter = new ProgressMeter(() => cluster.url);
  meter.start();
  t.after(() => meter.stop());
  const kinds = Array.from({ length: RUNS }, (_, i) => WORKLOAD_NAMES[i % WORKLOAD_NAMES.length]!);
  const started = Date.now();
  const errors: string[] = [];
  const load = submitMix({ url: () => cluster.url, kinds, keyPrefix: label, parallel: 4, spreadOverMs: SPREAD_MS, perRunTimeoutMs: 90_000, onError: (m) => errors.push(`+${Date.now() - started} ms ${m}`) }).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\nfirst refusals:\n${errors.slice(0, 10).join('\n')}\n${cluster.tails()}`, { cause: error });
  });

  // Mid-load: a third of the runs submitted, and the engine visibly finishing runs.
  let seen = '';
  await waitFor(async () => {
    const counts = await Promise.all(WORKLOAD_NAMES.map((k) => runCounts(cluster.url, k)));
    const finished = counts.reduce((n, c) => n + c.SUCCEEDED + c.FAILED + c.CANCELLED, 0);
    const known = counts.reduce((n, c) => n + c.PENDING + c.RUNNING, finished);
    seen = `${known} submitted, ${finished} finished`;
    return known >= RUNS / 3 && finished >= 20;
  }, { timeoutMs: 120_000, intervalMs: 250, description: `a third of the ${RUNS} runs submitted and 20 finished` }).catch((error: unknown) => {
    throw new Error(`${(error as Error).message} (${seen})\n${cluster.tails()}`, { cause: error });
  });
  const { node, why } = await pick(brokers, cluster);
  const killedAt = Date.now();
  brokers.kill(node);
  console.log(`[broker-faults] ${label}: kill -9 of node ${node} (pid ${brokers.pid(node)}; ${why}) at +${killedAt - started} ms, ${seen}`);
  await new Promise((r) => setTimeout(r, 8000));
  const restartAt = Date.now();
  await brokers.restart();
  const restartedIn = Date.now() - restartAt;
  console.log(`[broker-faults] ${label}: node ${node} restarted in ${restartedIn} ms (+${Date.now() - started} ms)`);

  const { accepted, retries } = await load;
  if (errors.length > 0) t.diagnostic(`${label}: ${errors.length} submissions had to be retried; the first: ${errors.slice(0, 3).join(' | ')}`);
  assert.equal(accepted.length, RUNS, 'every submission was accepted');
  await waitForFinished(() => cluster.url, accepted, Math.max(10_000, deadline - Date.now())).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${cluster.tails()}`, { cause: error });
  });
  const finishedIn = (meter.reachedAt(accepted.length) ?? Date.now()) - started;
  meter.stop();
  await assertAccepted(t, cluster, accepted, label);
  for (const role of [...cluster.orchestrators, ...cluster.workers, cluster.gateway!]) {
    assert.equal(role.child.exitCode, null, `${role.name} survived the fault`);
  }
  const backAt = restartAt + restartedIn;
  const lines = [
    describeStall(`${label}: around the kill of node ${node}`, meter.stallAround(killedAt)),
    backAt < started + finishedIn
      ? describeStall(`${label}: around its restart (back in ${restartedIn} ms)`, meter.stallAround(backAt))
      : `${label}: node ${node} was back ${restartedIn} ms after its restart began, when every run had already finished on the other two`,
    `${label}: ${accepted.length} runs accepted (${retries} POSTs retried), all finished correctly, the last ${finishedIn} ms after the first submission${backAt - started > finishedIn ? `, before node ${node} was back` : ''}`,
    `${label}: runs finished since the first submission (killed at +${Math.round((killedAt - started) / 1000)}s, back at +${Math.round((backAt - started) / 1000)}s): ${meter.timeline(started)}`,
  ];
  for (const line of lines) {
    console.log(`[broker-faults] ${line}`);
    t.diagnostic(line);
  }
}

void test('kill -9 of a broker that leads partitions, mid-load, then its restart: every accepted run ends correctly, once', { skip: kafkaSkip(), timeout: TEST_TIMEOUT_MS }, async (t) => {
  await killMidLoad(t, 'broker', async (brokers, cluster) => {
    const controller = brokers.activeController();
    const leaders = await brokers.leaders(topicNames(cluster.options.prefix).commands);
    // A leader of some partitions that is not the active controller: the broker fault alone.
    const candidates = brokers.nodes.filter((n) => n !== controller).sort((a, b) => leaders.filter((l) => l === b).length - leaders.filter((l) => l === a).length);
    const node = candidates[0]!;
    return { node, why: `leader of ${leaders.filter((l) => l === node).length} of ${leaders.length} commands partitions; the active controller is node ${controller}` };
  });
});

// The controller's death also moves group coordinators, so the orchestrators rejoin (and are
// fenced) while writes to the dead node's partitions still fail: the case in which a snapshot
// written ahead of its outputs left runs waiting forever and histories with holes.
void test('kill -9 of the active controller, mid-load, then its restart: every accepted run ends correctly, once', { skip: kafkaSkip(), timeout: TEST_TIMEOUT_MS }, async (t) => {
  await killMidLoad(t, 'controller', async (brokers, cluster) => {
    const node = brokers.activeController();
    const leaders = await brokers.leaders(topicNames(cluster.options.prefix).commands);
    return { node, why: `the KRaft quorum leader, also leader of ${leaders.filter((l) => l === node).length} of ${leaders.length} commands partitions` };
  });
});
