/**
 * How the bench's clients start runs: `single`, one request per run (POST /api/v1/runs, BullMQ's
 * `Queue.add`), or `batched`, where the runs the client starts in one turn of its event loop go
 * in one request (POST /api/v1/runs/batch, BullMQ's `Queue.addBulk`), as a client that starts
 * runs in bursts (a backfill, a consumer of a batch of events) would. The engine's client has a
 * third way, `bus`: the runs of one turn written to the bus as StartRun commands with
 * `RunStarter` (the orchestrator package), as BullMQ's `Queue.add` writes to Redis, where the
 * bench's process holds the engine's bus (every role in this process, or Kafka).
 */
export const START_MODES = ['single', 'batched'];
export const ENGINE_START_MODES = [...START_MODES, 'bus'];

/**
 * Each system starts runs in its faster way, measured in alternated pairs at saturation on the
 * embedded bus: batched, the engine made 1.03–1.49× the runs/s it made single (flaky, 4 pairs;
 * chain3, 8 pairs: 1.01–1.25×, for 0.71–0.93× the CPU a step), BullMQ 0.78–0.94× (its `addBulk`
 * is a MULTI transaction of the scripts `add` runs); through the bus, the engine made 1.15× the
 * flaky steps/s it made batched over HTTP, and 1.07× the chain10 steps/s, within the noise (4
 * pairs each; see bench/where-the-time-went.md).
 */
export const STARTS = { engine: 'bus', bullmq: 'single' };

/** `starts`, or an error naming the setting: one of `modes`. */
export function startMode(starts, modes = ENGINE_START_MODES) {
  if (!modes.includes(starts)) throw new Error(`bench: starts must be ${modes.join(' or ')}, got ${JSON.stringify(starts)}`);
  return starts;
}

/**
 * A function that starts one item: with `single`, `sendOne(item)`; with `batched` (and `bus`), the
 * items of one turn go to `sendMany(items)` together once the turn ends (`setImmediate`),
 * `maxBatch` at most. Its promise settles when the item's request has been answered, and rejects
 * with that request's error.
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
