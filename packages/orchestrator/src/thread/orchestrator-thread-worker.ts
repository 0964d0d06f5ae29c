/** The orchestrator's thread (see orchestrator-thread.ts): opens its Kafka client, starts the orchestrator and says how it goes. */
import { workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createKafkaTransport } from '@orchestrator-lite/transport';
import { failStart, loadThreadSetup, onParentRequests, tellParent } from '@orchestrator-lite/transport/role-thread';
import type { RoleThreadMessage, RoleThreadSetup } from '@orchestrator-lite/transport/role-thread';
import { startOrchestrator } from '../orchestrator.js';
import type { OrchestratorHandle } from '../orchestrator.js';
import { WRITE_STATS_REQUEST } from './orchestrator-thread.js';
import type { OrchestratorStarted, OrchestratorThreadData } from './orchestrator-thread.js';

/** What a setup module's `setupOrchestratorThread` gives the thread. */
export type OrchestratorThreadSetup = RoleThreadSetup<Logger>;

const data = workerData as OrchestratorThreadData;
const say = (message: RoleThreadMessage<OrchestratorStarted>): void => tellParent(message);

async function main(): Promise<void> {
  const setup = await loadThreadSetup<OrchestratorThreadSetup>(data.setup, 'setupOrchestratorThread');
  const logger = setup.logger ?? pino({ name: 'orchestrator', level: data.logLevel });
  const transport = createKafkaTransport(data.kafka);
  // What the thread opened besides the orchestrator: released when it could not start, or after it closed.
  const release = async (): Promise<void> => {
    await transport.close().catch((error: unknown) => logger.error({ err: error }, "error while closing the orchestrator's Kafka client"));
    await setup.close?.();
  };
  let orchestrator: OrchestratorHandle;
  try {
    orchestrator = await startOrchestrator({ ...data.orchestrator, transport, logger });
  } catch (error) {
    await failStart(error, release);
    return;
  }
  say({ started: { instanceId: orchestrator.instanceId, partitions: orchestrator.partitions } });
  onParentRequests(
    async () => {
      await orchestrator.close().catch((error: unknown) => logger.error({ err: error }, 'error while closing the orchestrator'));
      await release();
    },
    (request) => {
      if (request === WRITE_STATS_REQUEST) tellParent({ writeStats: transport.writeStats() });
    },
  );
}

await main();
