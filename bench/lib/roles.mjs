/**
 * The engine's roles started for the bench as `orch start` places them: the orchestrator on a
 * thread of its own with a Kafka client of its own (on Kafka), the gateway on a thread of its own
 * (on the embedded bus) or on the event loop. Used by the one-process phases
 * (bench/phases/engine.mjs) and by the engine's processes of their own (bench/peers/engine-role.mjs).
 * Each resolves once its role is ready; `port` 0 takes any free one.
 */
import { pino } from 'pino';
import { startGateway, startGatewayThread } from '@orchestrator-lite/gateway';
import { startOrchestratorThread } from '@orchestrator-lite/orchestrator';
import { withTimeout } from '@orchestrator-lite/transport';
import { until } from './stats.mjs';

const READY_TIMEOUT_MS = 60_000;

/** The orchestrator on a thread of its own, reaching the brokers with a Kafka client of its own. */
export function startOrchestratorOnThread(brokers, { topicPrefix, partitions }) {
  return startOrchestratorThread({ kafka: { brokers, clientId: 'orch-bench-orchestrator' }, orchestrator: { topicPrefix, partitions }, logLevel: 'silent' });
}

/** The gateway on the event loop. */
export async function startGatewayHere(common, port = 0) {
  const gateway = await startGateway({ ...common, host: '127.0.0.1', port, logger: pino({ level: 'silent' }) });
  await until(() => gateway.isReady(), { timeoutMs: READY_TIMEOUT_MS, what: 'the gateway to be ready' });
  return gateway;
}

/** The gateway on a thread of its own, the bus reached through the transport of this event loop. */
export async function startGatewayOnThread({ transport, ...options }, port = 0) {
  const gateway = await startGatewayThread({ transport, gateway: { ...options, host: '127.0.0.1', port }, logLevel: 'silent' });
  await withTimeout(gateway.whenReady(), READY_TIMEOUT_MS, 'the gateway on its thread getting ready');
  return gateway;
}
