/**
 * The thread of compactor.ts: a `compactor` LogStore on the bus's file, which removes one slice of
 * superseded or expired records per request. The event loop asks for a slice only while it writes
 * nothing, so the two connections never wait for each other's transaction.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveThreadChannel } from '../thread-channel.js';
import { LogStore } from './store.js';
import type { CompactorData, CompactorRequest, SliceOutcome } from './compactor.js';

const { file, synchronous, closed } = workerData as CompactorData;

/** Opens the file; a thread that cannot leaves nothing for a close to wait for. */
function open(): LogStore {
  try {
    return new LogStore(file, synchronous, 'compactor');
  } catch (error) {
    Atomics.store(closed, 0, 1);
    throw error;
  }
}

const store = open();

function slice(limit: number, expireBefore: number | null): SliceOutcome {
  const began = performance.now();
  const { removed, more } = store.compactSlice(limit, expireBefore);
  return { removed, more, ms: performance.now() - began };
}

function close(): void {
  try {
    store.close();
  } finally {
    Atomics.store(closed, 0, 1);
    Atomics.notify(closed, 0);
    parentPort?.close();
  }
}

function handle(request: CompactorRequest): unknown {
  switch (request.type) {
    case 'slice':
      return slice(request.limit, request.expireBefore);
    case 'topics':
      return store.reloadTopics();
    case 'close':
      return close();
  }
}

if (parentPort !== null) serveThreadChannel(parentPort, handle);
