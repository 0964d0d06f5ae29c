/**
 * Runs the writes to one key one after another: a schedule's read-compare-produce (PUT, DELETE,
 * trigger) sees the write before it, so two concurrent identical PUTs give 201 then 200, and two
 * concurrent triggers both land in its recent firings.
 */
export class OneAtATime {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.#tails.set(key, tail);
    // The map holds only keys with a write in flight.
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }
}
