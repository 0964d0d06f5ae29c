/** The gateway's thread (see gateway-thread.ts): starts the gateway on the forwarded bus and says how it goes. */
import { workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { ForwardedTransport } from '@orchestrator-lite/transport/forwarded';
import { failStart, loadThreadSetup, onParentRequests, tellParent } from '@orchestrator-lite/transport/role-thread';
import type { RoleThreadMessage, RoleThreadSetup } from '@orchestrator-lite/transport/role-thread';
import { startGateway } from '../gateway.js';
import type { GatewayHandle } from '../gateway.js';
import type { GatewayStarted, GatewayThreadData } from './gateway-thread.js';

/** What a setup module's `setupGatewayThread` gives the thread. */
export type GatewayThreadSetup = RoleThreadSetup<Logger>;

const READY_POLL_MS = 20;

const data = workerData as GatewayThreadData;
const say = (message: RoleThreadMessage<GatewayStarted> | { ready: true }): void => tellParent(message);

function reportReady(gateway: GatewayHandle): void {
  const poll = setInterval(() => {
    if (!gateway.isReady()) return;
    clearInterval(poll);
    say({ ready: true });
  }, READY_POLL_MS);
}

async function main(): Promise<void> {
  const transport = new ForwardedTransport(data.port, data.kind, data.atomicCommit);
  const setup = await loadThreadSetup<GatewayThreadSetup>(data.setup, 'setupGatewayThread');
  const logger = setup.logger ?? pino({ name: 'gateway', level: data.logLevel });
  // What the thread opened besides the gateway: released when the gateway could not start, or after it closed.
  const release = async (): Promise<void> => {
    await transport.close().catch(() => undefined);
    await setup.close?.();
  };
  let gateway: GatewayHandle;
  try {
    gateway = await startGateway({
      ...data.gateway,
      transport,
      logger,
      // This thread is off the bus's event loop already: a store thread would only add a hop.
      readStoreThread: false,
      metricsFrom: [{ metrics: () => transport.extra<string>('metrics') }],
    });
  } catch (error) {
    await failStart(error, release);
    return;
  }
  say({ started: { url: gateway.url, port: gateway.port } });
  reportReady(gateway);
  onParentRequests(async () => {
    await gateway.close().catch((error: unknown) => logger.error({ err: error }, 'error while closing the gateway'));
    await release();
  });
}

await main();
