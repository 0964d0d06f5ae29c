/**
 * Redrives dead letters at a bounded rate: the originals go back to their topics in slices of at
 * most `ratePerSec` records per second, so a redrive of thousands cannot flood the consumers that
 * parked them. A redrive runs in the background after the request is answered; closing the
 * gateway stops it between slices.
 */
import type { Logger } from 'pino';
import type { ProduceRecord, Transport } from '@orchestrator-lite/transport';

export interface RedriverOptions {
  transport: Transport;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export class Redriver {
  private readonly jobs = new Set<Promise<void>>();
  private closed = false;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: RedriverOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
  }

  /** Starts producing `records`; resolves when the job ends (tests await it, routes do not). */
  start(records: ProduceRecord[], ratePerSec: number): Promise<void> {
    const job = this.run(records, ratePerSec).finally(() => this.jobs.delete(job));
    this.jobs.add(job);
    return job;
  }

  private async run(records: ProduceRecord[], ratePerSec: number): Promise<void> {
    let done = 0;
    try {
      while (done < records.length && !this.closed) {
        const sliceStart = this.now();
        const slice = records.slice(done, done + ratePerSec);
        await this.options.transport.produce(slice);
        done += slice.length;
        const elapsed = this.now() - sliceStart;
        if (done < records.length && elapsed < 1000) await this.sleep(1000 - elapsed);
      }
      this.options.logger.info({ redriven: done, of: records.length }, 'dead letters redriven');
    } catch (error) {
      this.options.logger.warn({ err: error, redriven: done, of: records.length }, 'a redrive stopped on a bus error');
    }
  }

  /** Stops between slices and waits for the running jobs. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.jobs]);
  }
}
