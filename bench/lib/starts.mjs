/**
 * How the bench's clients start runs: `single`, one request per run (POST /api/v1/runs, BullMQ's
 * `Queue.add`), or `batched`, where the runs the client starts in one turn of its event loop go
 * in one request (POST /api/v1/runs/batch, BullMQ's `Queue.addBulk`), as a client that starts
 * runs in bursts (a backfill, a consumer of a batch of events) would.
 */
export const START_MODES = ['single', 'batched'];

/**
 * Each system starts runs in its faster way, measured in alternated pairs at saturation on the
 * embedded bus (flaky, 4 pairs): batched, the engine made 1.03–1.49× the runs/s it made single
 * (chain3, 8 pairs: 1.01–1.25×, for 0.71–0.93× the CPU a step), BullMQ 0.78–0.94× (its `addBulk`
 * is a MULTI transaction of the scripts `add` runs).
 */
export const STARTS = { engine: 'batched', bullmq: 'single' };

/** `starts`, or an error naming the setting. */
export function startMode(starts) {
  if (!START_MODES.includes(starts)) throw new Error(`bench: starts must be ${START_MODES.join(' or ')}, got ${JSON.stringify(starts)}`);
  return starts;
}

/**
 * A function that starts one item: with `single`, `sendOne(item)`; with `batched`, the items of
 * one turn go to `sendMany(items)` together once the turn ends (`setImmediate`), `maxBatch` at
 * most. Its promise settles when the item's request has been answered, and rejects with that
 * request's error.
 */
export function starter(starts, { sendOne, sendMany, maxBatch }) {
  if (startMode(starts) === 'single') return sendOne;
  let pending = [];
  const flush = () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    sendMany(batch.map((p) => p.item)).then(
      () => batch.forEach((p) => p.resolve()),
      (error) => batch.forEach((p) => p.reject(error)),
    );
  };
  return (item) =>
    new Promise((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (pending.length === 1) setImmediate(flush);
      else if (pending.length === maxBatch) flush();
    });
}
