/**
 * The runs' counts by workflow and status, pushed to the stream's clients that ask for them
 * (`?counts=true`): a list of runs keeps only its newest rows, yet shows how many runs there are
 * of each status. While a client listens, the counts are read from the read store (an indexed
 * table of a row per workflow and status) once every `intervalMs` and sent when they changed, so a
 * busy engine costs one small query a second, whatever its pace and however many clients listen.
 */
import type { Logger } from 'pino';
import type { CountsFrame, RunStatus } from '@orchestrator-lite/core';

export type CountsListener = (frame: string) => void;

export interface RunCountsFeedOptions {
  read(): Promise<Map<string, Record<RunStatus, number>>>;
  intervalMs: number;
  now(): number;
  logger: Logger;
}

export class RunCountsFeed {
  readonly #listeners = new Set<CountsListener>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #reading = false;
  /** The counts last sent, without their time: what a change is told from. */
  #lastCounts: string | undefined;
  #lastFrame: string | undefined;

  constructor(private readonly options: RunCountsFeedOptions) {}

  /** Hears every change of the counts, the latest known at once; returns the unsubscribe. */
  subscribe(listener: CountsListener): () => void {
    this.#listeners.add(listener);
    if (this.#lastFrame !== undefined) listener(this.#lastFrame);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => void this.#read(), this.options.intervalMs);
      this.#timer.unref();
      void this.#read();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.close();
    };
  }

  /** Stops reading; a later subscriber starts it again. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#lastCounts = undefined;
    this.#lastFrame = undefined;
  }

  async #read(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      const counts = Object.fromEntries(await this.options.read());
      const text = JSON.stringify(counts);
      if (text === this.#lastCounts || this.#timer === undefined) return;
      this.#lastCounts = text;
      const frame: CountsFrame = { type: 'counts', at: this.options.now(), counts };
      this.#lastFrame = JSON.stringify(frame);
      for (const listener of this.#listeners) listener(this.#lastFrame);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not read the runs\' counts for the stream; trying again');
    } finally {
      this.#reading = false;
    }
  }
}
