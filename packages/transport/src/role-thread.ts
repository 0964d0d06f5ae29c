/**
 * A role (the gateway, the orchestrator) on a worker thread of its own, for a process that runs
 * the other roles too (`orch start`). The parent starts the thread and waits until the role runs
 * or the thread says why it could not; a thread that stops on its own afterwards is reported; a
 * close asks the role to close and waits for it. The thread's side loads the process's setup
 * module (its logger and tracing, since a thread has its own) and answers the close.
 */
import { parentPort, Worker } from 'node:worker_threads';
import type { Transferable } from 'node:worker_threads';
import { threadLimits } from './young-generation.js';

/** What every role's thread says besides its own messages: it runs, it could not start, it closed. */
export type RoleThreadMessage<Started> = { started: Started } | { failed: string } | { closed: true };

/** The parent's request that the role close; its other requests are the role's own. */
export const CLOSE_REQUEST = 'close';

export interface RoleThreadOptions {
  /** Names the role in errors: "The gateway's thread could not start: …". */
  role: string;
  /** The thread's script. */
  script: URL;
  workerData: unknown;
  transferList?: readonly Transferable[];
  /** The thread's messages other than those of `RoleThreadMessage`. */
  onMessage?(message: unknown): void;
  /** The thread stopped on its own (an uncaught error, an exit): the process no longer has the role. Told once. */
  onFailure?(error: Error): void;
  /** Released once the thread has closed or could not start (a transport served to it, say). */
  release?(): Promise<void>;
}

export interface RoleThread<Started> {
  /** What the thread said when its role started. */
  readonly started: Started;
  /** Sends the thread one of the role's own requests. */
  post(request: unknown): void;
  /** Asks the role to close, waits until it has, and ends the thread. */
  close(): Promise<void>;
}

const has = <K extends string>(message: unknown, key: K): message is Record<K, unknown> => typeof message === 'object' && message !== null && key in message;

export async function startRoleThread<Started>(options: RoleThreadOptions): Promise<RoleThread<Started>> {
  const worker = new Worker(options.script, { workerData: options.workerData, transferList: [...(options.transferList ?? [])], resourceLimits: threadLimits() });
  let closing = false;
  // An uncaught error is followed by the thread's exit: the first of them is the one reported.
  let failed = false;
  const fail = (error: Error): void => {
    if (closing || failed) return;
    failed = true;
    options.onFailure?.(error);
  };
  const { promise: closed, resolve: markClosed } = Promise.withResolvers<void>();
  const started = new Promise<Started>((resolve, reject) => {
    worker.on('message', (message: unknown) => {
      if (has(message, 'started')) resolve(message.started as Started);
      else if (has(message, 'failed')) reject(new Error(`The ${options.role}'s thread could not start: ${String(message.failed)}`));
      else if (has(message, 'closed')) markClosed();
      else options.onMessage?.(message);
    });
    worker.on('error', (error) => {
      reject(error);
      fail(error);
    });
    worker.on('exit', (code) => {
      markClosed();
      const error = new Error(`The ${options.role}'s thread exited with code ${code}`);
      reject(error);
      fail(error);
    });
  });

  let value: Started;
  try {
    value = await started;
  } catch (error) {
    closing = true;
    await options.release?.();
    await worker.terminate();
    throw error;
  }
  let closeOnce: Promise<void> | undefined;
  return {
    started: value,
    post: (request) => worker.postMessage(request),
    close: () => {
      closeOnce ??= (async () => {
        closing = true;
        worker.postMessage(CLOSE_REQUEST);
        await closed;
        await options.release?.();
        await worker.terminate();
      })();
      return closeOnce;
    },
  };
}

/** A setup module the parent names for the thread, and the data its setup function is given. */
export interface ThreadSetupModule {
  module: string;
  data?: unknown;
}

/** What a setup module's function gives a role's thread: its logger, and what to close after the role. */
export interface RoleThreadSetup<Logger> {
  logger?: Logger;
  close?(): Promise<void>;
}

/**
 * The thread's side: what the setup module's function `name` returns for its data (the thread's
 * logger, what to close after the role), or nothing without a module.
 */
export async function loadThreadSetup<Setup extends object>(setup: ThreadSetupModule | undefined, name: string): Promise<Partial<Setup>> {
  if (setup === undefined) return {};
  const module = (await import(setup.module)) as Record<string, unknown>;
  const setUp = module[name];
  if (typeof setUp !== 'function') throw new Error(`the thread's setup module ${setup.module} exports no function ${name}`);
  return (await (setUp as (data: unknown) => Setup | Promise<Setup>)(setup.data)) as Partial<Setup>;
}

/** The thread's side: tells the parent a `RoleThreadMessage`, or one of the role's own messages. */
export function tellParent(message: unknown): void {
  parentPort!.postMessage(message);
}

/**
 * The thread's side, when its role could not start: releases what the thread opened, then tells
 * the parent why (which then ends the thread).
 */
export async function failStart(error: unknown, release: () => Promise<void>): Promise<void> {
  await release().catch(() => undefined);
  tellParent({ failed: error instanceof Error ? error.message : String(error) } satisfies RoleThreadMessage<never>);
}

/** The thread's side: runs `close` when the parent asks, then says so; the role's other requests go to `onRequest`. */
export function onParentRequests(close: () => Promise<void>, onRequest?: (request: unknown) => void): void {
  parentPort!.on('message', (request: unknown) => {
    if (request !== CLOSE_REQUEST) {
      onRequest?.(request);
      return;
    }
    // `close` logs its own errors: the parent is told in any case, so that it never waits forever.
    void close()
      .catch(() => undefined)
      .then(() => tellParent({ closed: true } satisfies RoleThreadMessage<never>));
  });
}
