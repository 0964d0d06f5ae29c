/**
 * The parallel-consumer commit rule for one partition. Records finish out of order, so the
 * offset committed is the lowest one still unfinished: everything below it is done. A crash
 * then redelivers the unfinished records (and, at worst, some finished above them) but never
 * skips one.
 *
 * The unfinished offsets are kept in ascending order: records are taken in offset order, so a
 * new one goes at the end, and under load they mostly finish in that order too, so one leaves
 * from the front; the lowest is the first. (A set, walked for its lowest at every commit, grew
 * and shrank its hash table with every batch of tasks.)
 */
export class PartitionTracker {
  readonly #unfinished: number[] = [];
  #next = -1;

  /** A record was taken (or taken again: its results did not reach the bus). */
  begin(offset: number): void {
    const unfinished = this.#unfinished;
    if (unfinished.length === 0 || offset > unfinished[unfinished.length - 1]!) unfinished.push(offset);
    else {
      const at = lowerBound(unfinished, offset);
      if (unfinished[at] !== offset) unfinished.splice(at, 0, offset);
    }
    if (offset + 1 > this.#next) this.#next = offset + 1;
  }

  /** A record needs no work (dead-lettered, skipped): it only moves the high-water mark. */
  skip(offset: number): void {
    if (offset + 1 > this.#next) this.#next = offset + 1;
  }

  /** A record finished. */
  end(offset: number): void {
    const unfinished = this.#unfinished;
    if (unfinished[0] === offset) {
      unfinished.shift();
      return;
    }
    const at = lowerBound(unfinished, offset);
    if (unfinished[at] === offset) unfinished.splice(at, 1);
  }

  get inFlight(): number {
    return this.#unfinished.length;
  }

  /** The offset to commit now, or undefined when nothing was taken yet. */
  committable(): number | undefined {
    if (this.#next < 0) return undefined;
    return this.#unfinished[0] ?? this.#next;
  }
}

/** The index of the first of the ascending `values` that is not below `value`. */
function lowerBound(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
