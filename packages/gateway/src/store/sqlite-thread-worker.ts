/**
 * The thread of sqlite-thread.ts: a SqliteReadStore, called in the order the requests came, as
 * the event loop called it before.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RunEvent } from '@orchestrator-lite/core/projection';
import { SqliteReadStore } from './sqlite-store.js';
import type { SqliteReadStoreOptions } from './sqlite-store.js';
import { serveThreadChannel } from '@orchestrator-lite/transport/thread-channel';
import type { StoreOpened, StoreRequest, WireBatch, WireBatchResult } from './sqlite-thread.js';

const opened = (message: StoreOpened): void => parentPort?.postMessage(message);

async function applyBatch(store: SqliteReadStore, batch: WireBatch): Promise<WireBatchResult> {
  const events = JSON.parse(batch.events) as (RunEvent | null)[];
  const index = new Map<RunEvent, number>();
  const records = batch.offsets.map((offset, i) => {
    const event = events[i] ?? undefined;
    if (event !== undefined) index.set(event, i);
    return { offset, event };
  });
  const result = await store.applyBatch(batch.partition, records, batch.nextOffset);
  return {
    accepted: result.accepted.map((a) => index.get(a.event)!),
    duplicates: result.duplicates,
    expired: result.expired,
    projectionErrors: result.projectionErrors.map(({ event, error }) => ({ index: index.get(event)!, message: (error as Error).message ?? String(error) })),
    applied: result.applied,
  };
}

function serve(store: SqliteReadStore, request: StoreRequest): Promise<unknown> {
  switch (request.method) {
    case 'applyBatch':
      return applyBatch(store, ...request.args);
    case 'checkpoint':
      return store.checkpoint();
    case 'getRun':
      return store.getRun(...request.args);
    case 'listRuns':
      return store.listRuns(...request.args);
    case 'counts':
      return store.counts(...request.args);
    case 'countsByWorkflow':
      return store.countsByWorkflow();
    case 'stepCounts':
      return store.stepCounts();
    case 'runEvents':
      return store.runEvents(...request.args);
    case 'partitionEvents':
      return store.partitionEvents(...request.args);
    case 'expireRuns':
      return store.expireRuns(...request.args);
    case 'forgetExpired':
      return store.forgetExpired(...request.args);
    case 'close':
      return store.close();
  }
}

function start(): void {
  let store: SqliteReadStore;
  try {
    store = new SqliteReadStore({ ...(workerData as SqliteReadStoreOptions), onNote: (note) => opened({ note }) });
  } catch (error) {
    opened({ failed: (error as Error).message ?? String(error) });
    return;
  }
  if (parentPort !== null) serveThreadChannel(parentPort, (request: StoreRequest) => serve(store, request));
  opened({ ready: store.id });
}

start();
