/**
 * Requests to a worker thread and their answers, for the threads that take work off the event
 * loop (the embedded bus's compaction, the gateway's SQLite read store).
 *
 * A message costs the sender more than its copy: measured on a 2-core virtual machine, a small
 * `postMessage` took under 1 µs of the event loop's CPU when the thread was busy and about 25 µs
 * when it slept (the kernel's cross-CPU wake-up), and in the engine with every role in one
 * process the messages to the read store's thread took tens to hundreds of µs each. So the calls
 * made in one task of the event loop (a callback and its microtasks) go to the thread as one
 * message, and the answers the thread has in one turn of its own come back as one. And while a
 * message has not yet been taken by the thread (its reply says so), the next calls gather and go
 * as one message with that reply: under load the thread gets fewer, larger messages.
 */
import type { MessagePort, Worker } from 'node:worker_threads';

/** What a call's failure becomes on the way back: its message, name and code. */
export interface ThreadError {
  message: string;
  name: string;
  code?: string;
}

/** One message to the thread: the calls of a task, in order; `id` 0 wants no answer. */
export type ThreadBatch<Request> = { id: number; request: Request }[];

/** Answers, in the order they settled. */
export type ThreadAnswers = ({ id: number; value: unknown } | { id: number; error: ThreadError })[];

/** One message from the thread: how many messages it has taken so far, and the answers of one of its turns. */
export interface ThreadReply {
  taken: number;
  answers: ThreadAnswers;
}

const isReply = (message: unknown): message is ThreadReply => typeof message === 'object' && message !== null && 'taken' in message && 'answers' in message;

interface Waiting {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** The event loop's side. */
export class ThreadChannel<Request> {
  readonly #worker: Worker;
  readonly #describe: (cause: Error) => Error;
  readonly #waiting = new Map<number, Waiting>();
  #queued: ThreadBatch<Request> = [];
  #nextId = 1;
  #failure: Error | undefined;
  /** Messages sent, and taken by the thread: while it has not taken them all, calls gather. */
  #posted = 0;
  #taken = 0;

  /**
   * Takes over `worker`'s messages that are replies. `describe` turns what stopped the
   * thread into the error every call waiting then, and every later call, fails with.
   */
  constructor(worker: Worker, describe: (cause: Error) => Error) {
    this.#worker = worker;
    this.#describe = describe;
    // Only a call in progress keeps the process alive.
    worker.unref();
    worker.on('message', (message: unknown) => {
      if (isReply(message)) this.#replied(message);
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`it exited with code ${code}`)));
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Sends `request` with the other calls of this task; resolves with the thread's answer. */
  call<T>(request: Request): Promise<T> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (this.#waiting.size === 1) this.#worker.ref();
      this.#enqueue(id, request);
    });
  }

  /** Sends `request`, which wants no answer, in its place among the calls. */
  tell(request: Request): void {
    if (this.#failure === undefined) this.#enqueue(0, request);
  }

  /** Sends what is queued now, not after this task's microtasks nor the thread's reply (before a blocking wait on the thread, say). */
  flush(): void {
    const batch = this.#queued;
    this.#queued = [];
    if (batch.length === 0 || this.#failure !== undefined) return;
    this.#posted += 1;
    this.#worker.postMessage(batch);
  }

  /** Fails every waiting call, and every later one. */
  fail(cause: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = this.#describe(cause);
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    this.#queued = [];
    this.#worker.unref();
    for (const w of waiting) w.reject(this.#failure);
  }

  #enqueue(id: number, request: Request): void {
    this.#queued.push({ id, request });
    // At the end of this task's microtasks, not of the turn: a thread that waited for the rest of
    // the turn's I/O callbacks added milliseconds to the path of an event under load.
    if (this.#queued.length === 1) queueMicrotask(() => this.#send());
  }

  /** Sends what is queued, unless the thread has not taken the last message yet: then its reply sends it. */
  #send(): void {
    if (this.#posted === this.#taken) this.flush();
  }

  #replied({ taken, answers }: ThreadReply): void {
    this.#taken = taken;
    for (const answer of answers) {
      const waiting = this.#waiting.get(answer.id);
      if (waiting === undefined) continue;
      this.#waiting.delete(answer.id);
      if ('error' in answer) waiting.reject(fromThreadError(answer.error));
      else waiting.resolve(answer.value);
    }
    // What gathered goes after the first reactions to these answers, which often add to it.
    if (this.#queued.length > 0) queueMicrotask(() => this.#send());
    if (this.#waiting.size === 0) this.#worker.unref();
  }
}

/**
 * The thread's side: calls `handle` for each request, in the order sent, and sends the answers
 * that settled in one turn of the thread's loop as one message. A slow answer (a compaction, say)
 * holds back none of the others.
 */
export function serveThreadChannel<Request>(port: MessagePort, handle: (request: Request) => unknown): void {
  let answers: ThreadAnswers = [];
  let taken = 0;
  let sending = false;
  const send = (): void => {
    const reply: ThreadReply = { taken, answers };
    answers = [];
    sending = false;
    port.postMessage(reply);
  };
  const scheduleSend = (): void => {
    if (sending) return;
    sending = true;
    setImmediate(send);
  };
  const answer = (a: ThreadAnswers[number]): void => {
    answers.push(a);
    scheduleSend();
  };
  port.on('message', (batch: ThreadBatch<Request>) => {
    taken += 1;
    // Every message taken is acknowledged, with the answers of this turn or alone.
    scheduleSend();
    for (const { id, request } of batch) {
      let result: unknown;
      try {
        result = handle(request);
      } catch (error) {
        result = Promise.reject(error);
      }
      if (id === 0) {
        if (result instanceof Promise) result.catch((error: unknown) => process.emitWarning(`A request to a worker thread failed: ${(error as Error).message ?? String(error)}`, { code: 'ORCH_THREAD' }));
        continue;
      }
      if (result instanceof Promise) result.then((value: unknown) => answer({ id, value }), (error: unknown) => answer({ id, error: toThreadError(error) }));
      else answer({ id, value: result });
    }
  });
}

export function toThreadError(error: unknown): ThreadError {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  return { message: e.message, name: e.name, ...(typeof code === 'string' ? { code } : {}) };
}

/** The error a `ThreadError` stands for, on the side that receives it. */
export function fromThreadError(error: ThreadError): Error {
  return Object.assign(new Error(error.message), { name: error.name }, error.code === undefined ? {} : { code: error.code });
}
