/** The gateway's thread (see gateway-thread.ts): starts the gateway on the forwarded bus and says how it goes. */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { ForwardedTransport } from '@orchestrator-lite/transport/forwarded';
import { startGateway } from '../gateway.js';
import type { GatewayHandle } from '../gateway.js';
import type { GatewayThreadData, GatewayThreadMessage } from './gateway-thread.js';

/** What a setup module's `setupGatewayThread` gives the thread. */
export interface GatewayThreadSetup {
  logger?: Logger;
  close?(): Promise<void>;
}

const READY_POLL_MS = 20;

const data = workerData as GatewayThreadData;
const parent = parentPort!;
const say = (message: GatewayThreadMessage): void => parent.postMessage(message);

async function setUp(): Promise<GatewayThreadSetup> {
  if (data.setup === undefined) return {};
  const module = (await import(data.setup.module)) as { setupGatewayThread(data: unknown): GatewayThreadSetup | Promise<GatewayThreadSetup> };
  return module.setupGatewayThread(data.setup.data);
}

function reportReady(gateway: GatewayHandle): void {
  const poll = setInterval(() => {
    if (!gateway.isReady()) return;
    clearInterval(poll);
    say({ ready: true });
  }, READY_POLL_MS);
}

async function main(): Promise<void> {
  const transport = new ForwardedTransport(data.port, data.kind, data.atomicCommit);
  const setup = await setUp();
  const logger = setup.logger ?? pino({ name: 'gateway', level: data.logLevel });
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
    say({ failed: error instanceof Error ? error.message : String(error) });
    await transport.close().catch(() => undefined);
    await setup.close?.();
    return;
  }
  say({ listening: { url: gateway.url, port: gateway.port } });
  reportReady(gateway);
  parent.on('message', (message: unknown) => {
    if (message !== 'close') return;
    void (async () => {
      await gateway.close().catch((error: unknown) => logger.error({ err: error }, 'error while closing the gateway'));
      await transport.close().catch(() => undefined);
      await setup.close?.();
      say({ closed: true });
    })();
  });
}

await main();
