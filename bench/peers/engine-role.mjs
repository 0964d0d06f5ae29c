/**
 * One role of the engine in its own process, for the benchmark of a split deployment, or every
 * role in one process apart from the bench's clients (`all`, as `orch start` runs them: on the
 * embedded bus the gateway on a thread of its own, on Kafka the orchestrator):
 *   node engine-role.mjs orchestrator|worker|gateway|all <json>
 * with `{ brokers, prefix, partitions, concurrency, port }`, or `dataDir` instead of `brokers` for
 * the embedded bus (`all` only: it is one process's). The worker serves the bench tasks
 * (bench/lib/workloads.mjs). Sends `{ ready: true }` over IPC once started (the orchestrator adds its
 * partition count); stops on 'stop'. Without `partitions`, each role takes the bus's default.
 */
import { startOrchestrator } from '@orchestrator-lite/orchestrator';
import { createKafkaTransport } from '@orchestrator-lite/transport';
import { defineTask, startWorker } from '@orchestrator-lite/worker';
import { openEmbedded } from '../lib/bus.mjs';
import { startGatewayHere, startGatewayOnThread, startOrchestratorOnThread } from '../lib/roles.mjs';
import { FLAKY_TASK, TASK, flakyHandler, noop } from '../lib/workloads.mjs';

const [role, json] = process.argv.slice(2);
const o = JSON.parse(json ?? '{}');
if (!['orchestrator', 'worker', 'gateway', 'all'].includes(role)) throw new Error(`engine-role: role must be orchestrator, worker, gateway or all, got ${JSON.stringify(role)}`);
// The embedded bus opened as the one-process phases open it (BENCH_EMBEDDED_SYNCHRONOUS included).
const transport = o.dataDir !== undefined ? openEmbedded(o.dataDir) : createKafkaTransport({ brokers: o.brokers, clientId: `orch-bench-${role}` });
const common = { transport, topicPrefix: o.prefix, partitions: o.partitions };
const handles = [];
// With every role here the gateway takes a thread of its own on the embedded bus, the orchestrator
// (and a Kafka client of its own) on Kafka, as under `orch start`.
const starts = {
  orchestrator: role === 'all' && o.brokers !== undefined ? (c) => startOrchestratorOnThread(o.brokers, c) : startOrchestrator,
  worker: startBenchWorker,
  gateway: role === 'all' && o.dataDir !== undefined ? (c) => startGatewayOnThread(c, o.port) : (c) => startGatewayHere(c, o.port),
};
// The orchestrator first: it creates the topics the others join.
for (const r of role === 'all' ? ['orchestrator', 'worker', 'gateway'] : [role]) handles.push(await starts[r](common));
process.send?.({ ready: true, ...(role === 'orchestrator' || role === 'all' ? { partitions: handles[0].partitions } : {}) });
process.on('message', async (m) => {
  if (m !== 'stop') return;
  for (const handle of handles.reverse()) await handle.close().catch(() => undefined);
  await transport.close().catch(() => undefined);
  process.exit(0);
});

function startBenchWorker(common) {
  const tasks = [defineTask(TASK, (input) => noop(input)), defineTask(FLAKY_TASK, (_input, ctx) => flakyHandler(ctx.attempt))];
  return startWorker({ ...common, tasks, concurrency: o.concurrency });
}
