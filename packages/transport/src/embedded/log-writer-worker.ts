/**
 * The thread of log-writer.ts: a `writer` LogStore on the bus's file. It writes each group it is
 * handed in one transaction, in the order handed, and compacts between groups.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveThreadChannel, toThreadError } from '../thread-channel.js';
import { COMPACTION_SLICE, LogStore, nextSliceLimit } from './store.js';
import type { PlacedRecord, WireWrite, WriteOutcome, WriterData, WriterRequest } from './log-writer.js';

const { file, synchronous, compactionIntervalMs, compactionShare, closed } = workerData as WriterData;

/** Opens the file; a thread that cannot leaves nothing for a close to wait for. */
function open(): LogStore {
  try {
    return new LogStore(file, synchronous, 'writer');
  } catch (error) {
    Atomics.store(closed, 0, 1);
    throw error;
  }
}

const store = open();
let closing = false;
let compacting = false;

function records(write: WireWrite, values: Uint8Array): PlacedRecord[] {
  return write.records.map((r) => ({
    topic: r.topic,
    partition: r.partition,
    key: r.key,
    value: r.size < 0 ? null : Buffer.from(values.buffer, values.byteOffset + r.start, r.size),
    ...(r.headers === undefined ? {} : { headers: r.headers }),
  }));
}

const placed = (metadata: { offset: number }[]): WriteOutcome => ({ offsets: metadata.map((m) => m.offset) });

function failed(error: unknown): WriteOutcome {
  const { message, code } = toThreadError(error);
  return { error: message, ...(code === undefined ? {} : { code }) };
}

/** One transaction for the group; if it fails (the disk, say), each write alone, so that only the one at fault fails. */
function write(writes: WireWrite[], values: Uint8Array, timestamp: number): WriteOutcome[] {
  const decoded = writes.map((w) => ({ records: records(w, values), commit: w.commit }));
  try {
    return store.writeMany(decoded, timestamp).map(placed);
  } catch {
    return decoded.map((w) => {
      try {
        return placed(store.writeMany([w], timestamp)[0]!);
      } catch (error) {
        return failed(error);
      }
    });
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Compacts slice by slice. With `share` below 1, it rests between slices so that it takes at most
 * that share of the thread's time: the writes handed over meanwhile wait for one slice at most.
 */
async function compactInSlices(share: number): Promise<number> {
  let removed = 0;
  let limit = COMPACTION_SLICE;
  for (;;) {
    if (closing) return removed;
    const began = performance.now();
    const r = store.compactSlice(limit);
    const ms = performance.now() - began;
    limit = nextSliceLimit(limit, r.removed, ms);
    removed += r.removed;
    if (!r.more) return removed;
    await (share < 1 ? delay((ms * (1 - share)) / share) : new Promise<void>((resolve) => setImmediate(resolve)));
  }
}

function compactQuietly(): void {
  if (compacting) return;
  compacting = true;
  compactInSlices(compactionShare)
    .catch((error: unknown) => process.emitWarning(`Background compaction of ${file} failed: ${(error as Error).message}`, { code: 'ORCH_TRANSPORT' }))
    .finally(() => (compacting = false));
}

const timer = compactionIntervalMs > 0 ? setInterval(compactQuietly, compactionIntervalMs) : null;

function close(): void {
  closing = true;
  if (timer !== null) clearInterval(timer);
  try {
    store.close();
  } finally {
    Atomics.store(closed, 0, 1);
    Atomics.notify(closed, 0);
    parentPort?.close();
  }
}

function handle(request: WriterRequest): unknown {
  switch (request.type) {
    case 'write':
      return write(JSON.parse(request.writes) as WireWrite[], request.values, request.timestamp);
    case 'topics':
      return store.reloadTopics();
    case 'compact':
      return compactInSlices(request.share);
    case 'close':
      return close();
  }
}

if (parentPort !== null) serveThreadChannel(parentPort, handle);
