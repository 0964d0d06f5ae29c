/**
 * WAL checkpoints off the event loop. A SQLite file in WAL mode that checkpoints itself does so
 * inside the commit that crosses `wal_autocheckpoint`, and that commit then waits for two fsyncs
 * (the WAL's and the database file's): on the thread that serves the bus, every hundred or so
 * group commits stall for the length of a disk flush. Here one worker thread per process, with a
 * connection of its own to each file, checkpoints every registered file a few times a second; the
 * thread that writes only appends to the WAL, which `synchronous = NORMAL` never flushes.
 *
 * The writer's own connection keeps a high `wal_autocheckpoint` as a backstop, so a WAL stays
 * bounded even if the worker falls behind or is gone.
 */
import { Worker } from 'node:worker_threads';
import { threadLimits } from '../young-generation.js';

/** How often the worker checkpoints each file. */
export const CHECKPOINT_INTERVAL_MS = 100;
/** The writer's own checkpoint threshold, in pages (4 KiB): reached only if the worker lags. */
export const BACKSTOP_CHECKPOINT_PAGES = 16_384;

/** How long a release waits for the thread to close its connection to the file. */
const RELEASE_TIMEOUT_MS = 5_000;

/** `closed` is set to 1 (and notified) once the thread has closed its connection to `remove`. */
export type CheckpointMessage = { add: string } | { remove: string; closed: Int32Array };

let worker: Worker | undefined;
const registered = new Map<string, number>();

function send(message: CheckpointMessage): void {
  worker ??= startWorker();
  worker.postMessage(message);
}

function startWorker(): Worker {
  const started = new Worker(new URL('./wal-checkpoint-worker.js', import.meta.url), { workerData: { intervalMs: CHECKPOINT_INTERVAL_MS }, resourceLimits: threadLimits() });
  // Never what keeps a process alive.
  started.unref();
  // A worker that fails leaves the writers' backstop to checkpoint; the next file registered starts another.
  started.on('error', () => undefined);
  started.on('exit', () => {
    if (worker === started) worker = undefined;
  });
  return started;
}

/**
 * Checkpoints `file` (a SQLite database in WAL mode, not in exclusive locking mode) in the
 * background until the returned function is called. The caller's connection should set
 * `wal_autocheckpoint` to BACKSTOP_CHECKPOINT_PAGES.
 *
 * The release waits (blocking, bounded) until the thread has closed its connection, as the
 * compaction thread's close does: the caller's connection is then the file's last one, and its
 * close leaves the database file alone in the directory. A thread still holding the file after the
 * bus closed would checkpoint it on its next round and make its WAL again, in a directory the
 * bus's user may be removing.
 */
export function checkpointInBackground(file: string): () => void {
  const count = registered.get(file) ?? 0;
  registered.set(file, count + 1);
  if (count === 0) send({ add: file });
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (registered.get(file) ?? 1) - 1;
    if (left > 0) {
      registered.set(file, left);
      return;
    }
    registered.delete(file);
    if (worker === undefined) return;
    const closed = new Int32Array(new SharedArrayBuffer(4));
    worker.postMessage({ remove: file, closed } satisfies CheckpointMessage);
    Atomics.wait(closed, 0, 0, RELEASE_TIMEOUT_MS);
  };
}
