/** The orchestrator's thread (see orchestrator-thread.ts): opens its Kafka client, starts the orchestrator and says how it goes. */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createKafkaTransport } from '@orchestrator-lite/transport';
import { startOrchestrator } from '../orchestrator.js';
import type { OrchestratorHandle } from '../orchestrator.js';
import type { OrchestratorThreadData, OrchestratorThreadMessage, OrchestratorThreadRequest } from './orchestrator-thread.js';

/** What a setup module's `setupOrchestratorThread` gives the thread. */
export interface OrchestratorThreadSetup {
  logger?: Logger;
  close?(): Promise<void>;
}

const data = workerData as OrchestratorThreadData;
const parent = parentPort!;
const say = (message: OrchestratorThreadMessage): void => parent.postMessage(message);

async function setUp(): Promise<OrchestratorThreadSetup> {
  if (data.setup === undefined) return {};
  const module = (await import(data.setup.module)) as { setupOrchestratorThread(data: unknown): OrchestratorThreadSetup | Promise<OrchestratorThreadSetup> };
  return module.setupOrchestratorThread(data.setup.data);
}

async function main(): Promise<void> {
  const setup = await setUp();
  const logger = setup.logger ?? pino({ name: 'orchestrator', level: data.logLevel });
  const transport = createKafkaTransport(data.kafka);
  let orchestrator: OrchestratorHandle;
  try {
    orchestrator = await startOrchestrator({ ...data.orchestrator, transport, logger });
  } catch (error) {
    say({ failed: error instanceof Error ? error.message : String(error) });
    await transport.close().catch(() => undefined);
    await setup.close?.();
    return;
  }
  say({ running: { instanceId: orchestrator.instanceId, partitions: orchestrator.partitions } });
  parent.on('message', (message: OrchestratorThreadRequest) => {
    if (message === 'writeStats') say({ writeStats: transport.writeStats() });
    if (message !== 'close') return;
    void (async () => {
      await orchestrator.close().catch((error: unknown) => logger.error({ err: error }, 'error while closing the orchestrator'));
      await transport.close().catch((error: unknown) => logger.error({ err: error }, "error while closing the orchestrator's Kafka client"));
      await setup.close?.();
      say({ closed: true });
    })();
  });
}

await main();
