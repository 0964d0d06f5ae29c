/**
 * Hands items over in groups: the first item after a quiet spell goes at the next turn, the ones
 * after it wait until `intervalMs` has passed since the last hand-over. A stream of thousands of
 * frames a second then costs the page a state update and a render every `intervalMs`, not one
 * per frame. A browser may run a hidden tab's timers as seldom as once a minute, so `maxItems`
 * held are handed over at once, without the timer: what waits stays bounded.
 */
export class Coalescer<T> {
  #items: T[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastDrain = -Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly onItems: (items: T[]) => void,
    private readonly maxItems = 10_000,
  ) {}

  push(item: T): void {
    this.#items.push(item);
    if (this.#items.length >= this.maxItems) {
      this.drain();
      return;
    }
    if (this.#timer !== undefined) return;
    const wait = Math.max(0, this.#lastDrain + this.intervalMs - Date.now());
    this.#timer = setTimeout(() => this.drain(), wait);
  }

  /** Hands over what is held now. */
  drain(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lastDrain = Date.now();
    if (this.#items.length === 0) return;
    const items = this.#items;
    this.#items = [];
    this.onItems(items);
  }

  /** Drops what is held, and the pending hand-over. */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#items = [];
  }
}
