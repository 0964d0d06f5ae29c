/**
 * The orchestrator on a worker thread of its own, with a Kafka client of its own, for a process
 * that runs the other roles too (`orch start` on Kafka). Each role then has an event loop and a
 * core to itself, as when each runs in a process of its own, where on one event loop the
 * orchestrator's work and the others' take turns. (On the embedded bus the bus is the event loop
 * that opened it, and a thread would reach it only through forwarded messages; there the gateway
 * takes the thread instead.)
 */
import type { KafkaTransportOptions, WriteStats } from '@orchestrator-lite/transport';
import { startRoleThread } from '@orchestrator-lite/transport/role-thread';
import type { ThreadSetupModule } from '@orchestrator-lite/transport/role-thread';
import type { OrchestratorOptions } from '../options.js';

/** The orchestrator's options that can cross to a thread: all but the live objects and the test clock. */
export type ThreadOrchestratorOptions = Omit<OrchestratorOptions, 'transport' | 'logger' | 'clock' | 'random'>;

export interface OrchestratorThreadOptions {
  /** The Kafka client the thread opens for itself (closed with the orchestrator). */
  kafka: KafkaTransportOptions;
  orchestrator: ThreadOrchestratorOptions;
  /**
   * A module the thread imports before the orchestrator starts: its `setupOrchestratorThread(data)`
   * returns the thread's logger and, optionally, what to close after the orchestrator (tracing, say).
   */
  setup?: ThreadSetupModule;
  /** The level of the thread's own pino logger, when `setup` gives none. @default 'info' */
  logLevel?: string;
  /** The thread stopped on its own (an uncaught error): the process has no orchestrator any more. */
  onFailure?(error: Error): void;
}

/** What the thread is given (see orchestrator-thread-worker.ts). */
export interface OrchestratorThreadData {
  kafka: KafkaTransportOptions;
  orchestrator: ThreadOrchestratorOptions;
  setup?: ThreadSetupModule;
  logLevel: string;
}

/** What the orchestrator's thread says when it runs. */
export interface OrchestratorStarted {
  instanceId: string;
  partitions: number;
}

/** The thread's own request besides the close: its Kafka client's write counters, answered as `{ writeStats }`. */
export const WRITE_STATS_REQUEST = 'writeStats';

export interface OrchestratorThreadHandle {
  readonly instanceId: string;
  /** The partition count of the co-partitioned topics. */
  readonly partitions: number;
  /** The write counters of the thread's Kafka client (the transport's `writeStats`). */
  writeStats(): Promise<WriteStats>;
  /** Closes the orchestrator and its Kafka client, and ends the thread. */
  close(): Promise<void>;
}

export async function startOrchestratorThread(options: OrchestratorThreadOptions): Promise<OrchestratorThreadHandle> {
  const data: OrchestratorThreadData = {
    kafka: options.kafka,
    orchestrator: options.orchestrator,
    ...(options.setup === undefined ? {} : { setup: options.setup }),
    logLevel: options.logLevel ?? 'info',
  };
  // Answers to `writeStats`, in the order asked. A thread that ended answers none: they fail.
  const statsWaiting: { resolve(stats: WriteStats): void; reject(error: Error): void }[] = [];
  let ended: Error | undefined;
  const end = (error: Error): void => {
    ended ??= error;
    for (const waiting of statsWaiting.splice(0)) waiting.reject(error);
  };
  const thread = await startRoleThread<OrchestratorStarted>({
    role: 'orchestrator',
    script: new URL('./orchestrator-thread-worker.js', import.meta.url),
    workerData: data,
    onMessage: (message) => statsWaiting.shift()?.resolve((message as { writeStats: WriteStats }).writeStats),
    onFailure: (error) => {
      end(error);
      options.onFailure?.(error);
    },
  });
  return {
    ...thread.started,
    writeStats: () =>
      ended !== undefined
        ? Promise.reject(ended)
        : new Promise((resolve, reject) => {
            statsWaiting.push({ resolve, reject });
            thread.post(WRITE_STATS_REQUEST);
          }),
    close: async () => {
      // The requests sent before the close are answered before it.
      await thread.close();
      end(new Error("The orchestrator's thread is closed"));
    },
  };
}
