/**
 * The parallel-consumer commit rule for one partition. Records finish out of order, so the
 * offset committed is the lowest one still unfinished: everything below it is done. A crash
 * then redelivers the unfinished records (and, at worst, some finished above them) but never
 * skips one.
 */
export class PartitionTracker {
  readonly #unfinished = new Set<number>();
  #next = -1;

  /** A record was taken. */
  begin(offset: number): void {
    this.#unfinished.add(offset);
    if (offset + 1 > this.#next) this.#next = offset + 1;
  }

  /** A record needs no work (dead-lettered, skipped): it only moves the high-water mark. */
  skip(offset: number): void {
    if (offset + 1 > this.#next) this.#next = offset + 1;
  }

  /** A record finished. */
  end(offset: number): void {
    this.#unfinished.delete(offset);
  }

  get inFlight(): number {
    return this.#unfinished.size;
  }

  /** The offset to commit now, or undefined when nothing was taken yet. */
  committable(): number | undefined {
    if (this.#next < 0) return undefined;
    let lowest = this.#next;
    for (const offset of this.#unfinished) if (offset < lowest) lowest = offset;
    return lowest;
  }
}
