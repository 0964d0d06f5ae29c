/**
 * One role of the engine in its own process, for the benchmark of a split deployment:
 *   node engine-role.mjs orchestrator|worker|gateway <json>
 * with `{ brokers, prefix, partitions, concurrency, port }`. The worker serves the bench tasks
 * (bench/lib/workloads.mjs). Sends `{ ready: true }` over IPC once started (the orchestrator adds its
 * partition count); stops on 'stop'. Without `partitions`, each role takes the bus's default.
 */
import { pino } from 'pino';
import { startGateway } from '@orchestrator-lite/gateway';
import { startOrchestrator } from '@orchestrator-lite/orchestrator';
import { createKafkaTransport } from '@orchestrator-lite/transport';
import { defineTask, startWorker } from '@orchestrator-lite/worker';
import { FLAKY_TASK, TASK, flakyHandler, noop } from '../lib/workloads.mjs';

const [role, json] = process.argv.slice(2);
const o = JSON.parse(json ?? '{}');
const transport = createKafkaTransport({ brokers: o.brokers, clientId: `orch-bench-${role}` });
const common = { transport, topicPrefix: o.prefix, partitions: o.partitions };
let handle;
if (role === 'orchestrator') handle = await startOrchestrator(common);
else if (role === 'worker') {
  const tasks = [defineTask(TASK, (input) => noop(input)), defineTask(FLAKY_TASK, (_input, ctx) => flakyHandler(ctx.attempt))];
  handle = await startWorker({ ...common, tasks, concurrency: o.concurrency });
} else if (role === 'gateway') {
  handle = await startGateway({ ...common, host: '127.0.0.1', port: o.port, logger: pino({ level: 'silent' }) });
  while (!handle.isReady()) await new Promise((resolve) => setTimeout(resolve, 20));
} else throw new Error(`engine-role: role must be orchestrator, worker or gateway, got ${JSON.stringify(role)}`);
process.send?.({ ready: true, ...(role === 'orchestrator' ? { partitions: handle.partitions } : {}) });
process.on('message', async (m) => {
  if (m !== 'stop') return;
  await handle.close().catch(() => undefined);
  await transport.close().catch(() => undefined);
  process.exit(0);
});
