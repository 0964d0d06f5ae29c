import { json } from './helpers.js';

type Counts = Record<'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED', number>;

export interface Stall {
  /** The longest stretch in the window in which no run finished, ms. */
  longestMs: number;
  /** Its start, ms after the fault. */
  fromMs: number;
  /** Runs finished per second in the 10 s before and after the fault. */
  rateBefore: number;
  rateAfter: number;
}

/**
 * Samples how many runs have finished, through the gateway, every `intervalMs`, so that a test can
 * tell how long the engine stalled around a fault. Reported, never asserted: timing is for the bench.
 */
export class ProgressMeter {
  readonly #samples: { at: number; finished: number }[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly url: () => string, private readonly intervalMs = 200) {}

  start(): void {
    const tick = async (): Promise<void> => {
      try {
        const { status, body } = await json<{ counts: Counts }>(`${this.url()}/api/v1/runs?limit=1`, { signal: AbortSignal.timeout(2000) });
        if (status === 200) this.#samples.push({ at: Date.now(), finished: body.counts.SUCCEEDED + body.counts.FAILED + body.counts.CANCELLED });
      } catch {
        // the gateway is busy or restarting: a missing sample
      }
      if (this.#timer !== undefined) this.#timer = setTimeout(() => void tick(), this.intervalMs);
    };
    this.#timer = setTimeout(() => void tick(), 0);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The stall around a fault at `at` (epoch ms), looking `windowMs` past it. */
  stallAround(at: number, windowMs = 60_000): Stall {
    const samples = this.#samples.filter((s) => s.at >= at - 2000 && s.at <= at + windowMs);
    let longest = { ms: 0, from: 0 };
    let lastProgress = samples[0]?.at ?? at;
    for (let i = 1; i < samples.length; i++) {
      const s = samples[i]!;
      if (s.finished > samples[i - 1]!.finished) {
        if (s.at - lastProgress > longest.ms) longest = { ms: s.at - lastProgress, from: lastProgress - at };
        lastProgress = s.at;
      }
    }
    const finishedAt = (t: number): number => {
      let n = 0;
      for (const s of this.#samples) if (s.at <= t) n = s.finished;
      return n;
    };
    return {
      longestMs: longest.ms,
      fromMs: longest.from,
      rateBefore: (finishedAt(at) - finishedAt(at - 10_000)) / 10,
      rateAfter: (finishedAt(at + 10_000) - finishedAt(at)) / 10,
    };
  }
}

export function describeStall(label: string, stall: Stall): string {
  return `${label}: the engine stalled ${(stall.longestMs / 1000).toFixed(1)} s at most (no run finished from ${(stall.fromMs / 1000).toFixed(1)} s after it); runs finished per second: ${stall.rateBefore.toFixed(1)} in the 10 s before, ${stall.rateAfter.toFixed(1)} in the 10 s after`;
}
