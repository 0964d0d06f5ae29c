/**
 * The orchestrator on a worker thread of its own, with a Kafka client of its own, for a process
 * that runs the other roles too (`orch start` on Kafka). Each role then has an event loop and a
 * core to itself, as when each runs in a process of its own, where on one event loop the
 * orchestrator's work and the others' take turns. (On the embedded bus the bus is the event loop
 * that opened it, and a thread would reach it only through forwarded messages; there the gateway
 * takes the thread instead.)
 */
import { Worker } from 'node:worker_threads';
import type { KafkaTransportOptions, WriteStats } from '@orchestrator-lite/transport';
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
  setup?: { module: string; data?: unknown };
  /** The level of the thread's own pino logger, when `setup` gives none. @default 'info' */
  logLevel?: string;
  /** The thread stopped on its own (an uncaught error): the process has no orchestrator any more. */
  onFailure?(error: Error): void;
}

/** What the thread is given (see orchestrator-thread-worker.ts). */
export interface OrchestratorThreadData {
  kafka: KafkaTransportOptions;
  orchestrator: ThreadOrchestratorOptions;
  setup?: { module: string; data?: unknown };
  logLevel: string;
}

/** What the thread is asked: its Kafka client's write counters, or to close. */
export type OrchestratorThreadRequest = 'writeStats' | 'close';

/** What the thread says: it runs, it could not start, its write counters, it closed. */
export type OrchestratorThreadMessage = { running: { instanceId: string; partitions: number } } | { failed: string } | { writeStats: WriteStats } | { closed: true };

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
  const worker = new Worker(new URL('./orchestrator-thread-worker.js', import.meta.url), { workerData: data });

  let closing = false;
  // Answers to `writeStats`, in the order asked.
  const statsWaiting: ((stats: WriteStats) => void)[] = [];
  const ask = (request: OrchestratorThreadRequest): void => worker.postMessage(request);
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const running = new Promise<{ instanceId: string; partitions: number }>((resolve, reject) => {
    worker.on('message', (message: OrchestratorThreadMessage) => {
      if ('running' in message) resolve(message.running);
      else if ('failed' in message) reject(new Error(`The orchestrator's thread could not start: ${message.failed}`));
      else if ('writeStats' in message) statsWaiting.shift()?.(message.writeStats);
      else markClosed();
    });
    worker.on('error', (error) => {
      reject(error);
      if (!closing) options.onFailure?.(error);
    });
    worker.on('exit', (code) => {
      markClosed();
      const error = new Error(`The orchestrator's thread exited with code ${code}`);
      reject(error);
      if (!closing) options.onFailure?.(error);
    });
  });

  let started: { instanceId: string; partitions: number };
  try {
    started = await running;
  } catch (error) {
    closing = true;
    await worker.terminate();
    throw error;
  }

  let closeOnce: Promise<void> | undefined;
  return {
    ...started,
    writeStats: () =>
      new Promise((resolve) => {
        statsWaiting.push(resolve);
        ask('writeStats');
      }),
    close: () => {
      closeOnce ??= (async () => {
        closing = true;
        ask('close');
        await closed;
        await worker.terminate();
      })();
      return closeOnce;
    },
  };
}
