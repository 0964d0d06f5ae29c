/**
 * The worker thread of wal-checkpointer.ts: one connection per registered file, a PASSIVE
 * checkpoint of each every `intervalMs`. PASSIVE never waits for the writer or for readers, so
 * the writing thread is never held up by it; what it could not copy this time it copies next.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointMessage } from './wal-checkpointer.js';

const { intervalMs } = workerData as { intervalMs: number };
const open = new Map<string, Database.Database>();

function checkpointAll(): void {
  for (const db of open.values()) {
    try {
      // exec, not pragma(): no statement object is left to the garbage collector.
      db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    } catch {
      // Busy or gone: the next round, or the writer's backstop, checkpoints it.
    }
  }
}

parentPort?.on('message', (message: CheckpointMessage) => {
  if ('add' in message) {
    if (open.has(message.add)) return;
    try {
      const db = new Database(message.add, { fileMustExist: true, timeout: 0 });
      db.exec('PRAGMA synchronous = NORMAL');
      open.set(message.add, db);
    } catch {
      // Not there or not shareable: its writer's backstop checkpoints it.
    }
  } else {
    try {
      open.get(message.remove)?.close();
    } finally {
      open.delete(message.remove);
      Atomics.store(message.closed, 0, 1);
      Atomics.notify(message.closed, 0);
    }
  }
});

setInterval(checkpointAll, intervalMs);
