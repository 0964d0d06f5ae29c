import type { InputStretch, OrderRecord } from '@orchestrator-lite/core';
import type { ConsumedRecord, TopicPartition } from '@orchestrator-lite/transport';

/**
 * Why the order of a partition's inputs is written down.
 *
 * A partition's owner applies the inputs of two topics, `commands/p` and `results/p`, which reach
 * it independently: their interleaving is whatever the fetches made it. After a crash or a fence,
 * the next owner restores the last snapshot that landed and applies again the inputs since. Were it
 * to interleave them otherwise, it would write other events under the sequence numbers the first
 * owner already used (seen: the results of a run read before its StartRun are ignored as the
 * results of an unknown run, and the run starts over and runs every task again). So the outputs
 * carry, on `orch.state`, the order in which the inputs since the last landed snapshot were
 * applied (`order/<p>`), and the next owner applies what it replays in that order.
 *
 * The record is written when a stretch begins, not with every batch: a batch that only carries the
 * last stretch further leaves the record as it was, whose last stretch then ends too early. The
 * next owner therefore carries the last stretch on to the end of its source's log as it finds it
 * (`extendLast`): what the last owner applied of that source after the record was written came
 * before any input of the other source it did not record, and an input that nobody applied yet
 * may go in any order.
 */

/** Stretches recorded at most between two snapshots; past it the rest is applied as it comes on a replay. */
const MAX_STRETCHES = 1000;
/** How long a replay waits for the inputs of another source before it gives up ordering. */
const TURN_TIMEOUT_MS = 30_000;

/** An input source: `commands/<p>` or `results/<p>`, as the `applied` watermarks and the order records name it. */
export function inputSource(commandsTopic: string, tp: TopicPartition): string {
  return `${tp.topic === commandsTopic ? 'commands' : 'results'}/${tp.partition}`;
}

/** The other input source of a partition: `commands/<p>` for `results/<p>` and back. */
function otherSource(source: string): string {
  const [topic, partition] = source.split('/');
  return `${topic === 'commands' ? 'results' : 'commands'}/${partition}`;
}

/** The record of `stretches`, which alternate between the two sources (undefined when there is none). */
export function orderRecordOf(stretches: readonly InputStretch[]): OrderRecord | undefined {
  const [head] = stretches;
  return head === undefined ? undefined : { kind: 'order', first: head.source, gaps: stretches.map((s, i) => s.upTo - (i < 2 ? -1 : stretches[i - 2]!.upTo)) };
}

/** The stretches an order record holds. */
export function stretchesOf(record: OrderRecord): InputStretch[] {
  const upTo = record.upTo ?? offsetsOf(record.gaps ?? []);
  let source = record.first;
  return upTo.map((last, i) => {
    if (i > 0) source = otherSource(source);
    return { source, upTo: last };
  });
}

/** The last offsets that `gaps` hold, each from the one two before it (see `OrderRecord`). */
function offsetsOf(gaps: readonly number[]): number[] {
  const offsets: number[] = [];
  gaps.forEach((gap, i) => offsets.push((i < 2 ? -1 : offsets[i - 2]!) + gap));
  return offsets;
}

/**
 * The stretches to follow on a replay: the last one carried on to `end` (its source's next offset
 * on the log as the new owner finds it), since the record was not written again as it grew. A
 * record at the limit stopped growing: what came after it is not known, and goes as it comes.
 */
export function extendLast(stretches: readonly InputStretch[], end: number): InputStretch[] {
  const last = stretches.at(-1);
  if (last === undefined || stretches.length >= MAX_STRETCHES || end - 1 <= last.upTo) return [...stretches];
  return [...stretches.slice(0, -1), { source: last.source, upTo: end - 1 }];
}

/** The order in which this owner applied its inputs since its last snapshot landed. */
export class AppliedOrder {
  #stretches: InputStretch[] = [];
  #full = false;
  /** Changes the record on the log does not hold (a stretch began, a seed, a cut), counted; and the count it holds. */
  #changes = 0;
  #written = 0;

  /**
   * Starts from the stretches of the last owner, which a replay follows: should this owner stop
   * before its own snapshot lands, the next one follows the same.
   */
  seed(stretches: readonly InputStretch[]): void {
    this.#stretches = stretches.slice(0, MAX_STRETCHES);
    this.#full = stretches.length > MAX_STRETCHES;
    if (this.#stretches.length > 0) this.#changes++;
  }

  /**
   * A replay stopped following the seeded stretches (it gave up waiting for an input): they are
   * cut to what it applied in their order (`next`: per source, the next offset it did not apply),
   * since what comes after goes as it comes, and is recorded as it goes.
   */
  followedUpTo(next: ReadonlyMap<string, number>): void {
    const kept: InputStretch[] = [];
    const last = new Map<string, number>();
    for (const s of this.#stretches) {
      const applied = (next.get(s.source) ?? 0) - 1;
      if (s.upTo <= applied) {
        kept.push(s);
        last.set(s.source, s.upTo);
        continue;
      }
      // The stretch the replay was in: the part of it that it applied.
      if (applied > (last.get(s.source) ?? -1)) kept.push({ source: s.source, upTo: applied });
      break;
    }
    this.#stretches = kept;
    this.#full = false;
    this.#changes++;
  }

  /** A batch of `source` was applied, its last input at `upTo`. */
  applied(source: string, upTo: number): void {
    if (this.#full) return;
    const last = this.#stretches.at(-1);
    if (last?.source === source) this.#stretches[this.#stretches.length - 1] = { source, upTo };
    else if (this.#stretches.length >= MAX_STRETCHES) this.#full = true;
    else {
      this.#stretches.push({ source, upTo });
      this.#changes++;
    }
  }

  /**
   * The record to write with the outputs of the batch just applied, and its version: none when the
   * one on the log still holds the order (see above).
   */
  toWrite(): { record: OrderRecord | undefined; version: number } | undefined {
    return this.#changes === this.#written ? undefined : { record: orderRecordOf(this.#stretches), version: this.#changes };
  }

  /** The record of `version` has landed with its outputs. */
  written(version: number): void {
    this.#written = Math.max(this.#written, version);
  }

  /** A snapshot landed: the stretches whose inputs it covers (`covered`: the next offset per source) are dropped. */
  landed(covered: ReadonlyMap<string, number>): void {
    let done = 0;
    for (const s of this.#stretches) {
      const next = covered.get(s.source);
      if (next === undefined || s.upTo >= next) break;
      done++;
    }
    if (done > 0) this.#stretches = this.#stretches.slice(done);
    // Past the limit the list stopped growing: it starts again once it is empty, never with a hole.
    if (this.#stretches.length === 0) this.#full = false;
  }

  get stretches(): readonly InputStretch[] {
    return this.#stretches;
  }
}

/**
 * The order a new owner follows while it applies again what the last one applied: an input of a
 * source goes once every stretch before its own has been applied. Inputs below a source's
 * position (covered by a landed snapshot) and every input once the stretches are done go as they
 * come.
 */
export class ReplayOrder {
  #stretches: InputStretch[];
  /** Per source: the next offset to apply. */
  readonly #next: Map<string, number>;
  #waiting: (() => void)[] = [];

  constructor(
    stretches: readonly InputStretch[],
    positions: ReadonlyMap<string, number>,
    /** Called when a turn never came: why, and per source the next offset that was not applied. */
    private readonly onGiveUp: (reason: string, next: ReadonlyMap<string, number>) => void = () => undefined,
    private readonly timeoutMs = TURN_TIMEOUT_MS,
  ) {
    this.#stretches = [...stretches];
    this.#next = new Map(positions);
    this.#dropDone();
  }

  /** Whether stretches remain to follow. */
  get ordering(): boolean {
    return this.#stretches.length > 0;
  }

  /**
   * How many of `records` (inputs of `source`, in offset order) may be applied now, at least one:
   * resolves once their turn has come.
   */
  async admit(source: string, records: readonly ConsumedRecord[]): Promise<number> {
    for (;;) {
      const head = this.#stretches[0];
      if (head === undefined) return records.length;
      const next = this.#next.get(source) ?? 0;
      let n = 0;
      while (n < records.length && records[n]!.offset < next) n++;
      if (n > 0) return n;
      if (head.source === source) {
        while (n < records.length && records[n]!.offset <= head.upTo) n++;
        if (n > 0) return n;
        // The stretch's inputs are no longer on the log (retention): nothing to wait for.
        this.#next.set(source, Math.max(next, head.upTo + 1));
        this.#stretches.shift();
        this.#dropDone();
        this.#wake();
        continue;
      }
      if (!(await this.#turn())) {
        const reason = `no input of ${head.source} up to offset ${head.upTo} came in ${this.timeoutMs} ms`;
        this.stop();
        this.onGiveUp(reason, new Map(this.#next));
      }
    }
  }

  /** The inputs of `source` up to `upTo` have been applied. */
  applied(source: string, upTo: number): void {
    if ((this.#next.get(source) ?? 0) <= upTo) this.#next.set(source, upTo + 1);
    this.#dropDone();
    this.#wake();
  }

  /** Every input goes as it comes from now on (the partition was revoked, or a turn never came). */
  stop(): void {
    this.#stretches = [];
    this.#wake();
  }

  #dropDone(): void {
    while (this.#stretches.length > 0 && this.#stretches[0]!.upTo < (this.#next.get(this.#stretches[0]!.source) ?? 0)) this.#stretches.shift();
  }

  /** True once the stretches moved on; false after the timeout. */
  #turn(): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), this.timeoutMs);
      timer.unref();
      this.#waiting.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const wake of waiting) wake();
  }
}
