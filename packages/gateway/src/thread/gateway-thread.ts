/**
 * The gateway on a worker thread of its own, for a process that runs the other roles too
 * (`orch start`). Its HTTP server, live stream, projection and routes then run beside the event
 * loop that carries the bus, the orchestrator and the workers, on the machine's other core, and
 * reach the bus through a forwarded transport (transport's `forwarded.ts`). The other roles' metrics
 * come across the same port when `/metrics` is scraped.
 */
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { Transport } from '@orchestrator-lite/transport';
import { serveTransport } from '@orchestrator-lite/transport/forwarded';
import { startRoleThread } from '@orchestrator-lite/transport/role-thread';
import type { ThreadSetupModule } from '@orchestrator-lite/transport/role-thread';
import type { GatewayOptions, MetricsSource } from '../options.js';

/** The gateway's options that can cross to a thread: all but the live objects and the test clock. */
export type ThreadGatewayOptions = Omit<GatewayOptions, 'transport' | 'logger' | 'metricsFrom' | 'writesFrom' | 'clock'>;

export interface GatewayThreadOptions {
  /** The bus, served to the thread; it stays open when the gateway closes. */
  transport: Transport;
  gateway: ThreadGatewayOptions;
  /** Metrics of the roles on this thread, served on the gateway's `/metrics`. */
  metricsFrom?: readonly MetricsSource[];
  /**
   * A module the thread imports before the gateway starts: its `setupGatewayThread(data)` returns
   * the thread's logger and, optionally, what to close after the gateway (tracing, say).
   */
  setup?: ThreadSetupModule;
  /** The level of the thread's own pino logger, when `setup` gives none. @default 'info' */
  logLevel?: string;
  /** The thread stopped on its own (an uncaught error): the process has no gateway any more. */
  onFailure?(error: Error): void;
}

/** What the thread is given (see gateway-thread-worker.ts). */
export interface GatewayThreadData {
  port: MessagePort;
  kind: string;
  atomicCommit: boolean;
  gateway: ThreadGatewayOptions;
  setup?: ThreadSetupModule;
  logLevel: string;
}

/** What the gateway's thread says when it listens; later `{ ready: true }`, once it caught up. */
export interface GatewayStarted {
  url: string;
  port: number;
}

export interface GatewayThreadHandle {
  /** `http://HOST:PORT` */
  readonly url: string;
  readonly port: number;
  /** Resolves once the read model and the registry have caught up with the bus. */
  whenReady(): Promise<void>;
  /** Closes the gateway and ends the thread; the transport stays open. */
  close(): Promise<void>;
}

export async function startGatewayThread(options: GatewayThreadOptions): Promise<GatewayThreadHandle> {
  const { port1, port2 } = new MessageChannel();
  const metricsFrom = options.metricsFrom ?? [];
  const served = serveTransport(port1, options.transport, {
    metrics: async () => (await Promise.all(metricsFrom.map((source) => source.metrics()))).join('\n'),
  });
  const data: GatewayThreadData = {
    port: port2,
    kind: options.transport.kind,
    atomicCommit: options.transport.atomicCommit,
    gateway: options.gateway,
    ...(options.setup === undefined ? {} : { setup: options.setup }),
    logLevel: options.logLevel ?? 'info',
  };
  const { promise: ready, resolve: markReady } = Promise.withResolvers<void>();
  const thread = await startRoleThread<GatewayStarted>({
    role: 'gateway',
    script: new URL('./gateway-thread-worker.js', import.meta.url),
    workerData: data,
    transferList: [port2],
    // Its only other message: it caught up.
    onMessage: () => markReady(),
    ...(options.onFailure === undefined ? {} : { onFailure: options.onFailure }),
    release: () => served.close(),
  });
  return { ...thread.started, whenReady: () => ready, close: () => thread.close() };
}
