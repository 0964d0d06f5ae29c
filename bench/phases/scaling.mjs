/**
 * Phase: steps/s on Kafka with 1, 2 and 4 worker processes (roles as separate OS processes), for
 * two workloads: tasks that wait (50 ms of I/O-like sleep, 4 at a time per worker: worker-bound,
 * the case that adding workers is for) and no-op tasks (the engine's own cost per step, where the
 * orchestrator, the broker and the cores of this machine bound throughput, not the workers).
 */
import { brokersFromEnv } from '../lib/bus.mjs';
import { measureScaling } from '../scaling/measure.mjs';

export async function run(options) {
  const workloads = [
    { id: 'waiting', sleepMs: 50, concurrency: 4, runs: options.waitingRuns ?? 100 },
    { id: 'no-op', sleepMs: 0, concurrency: 16, runs: options.runs ?? 200 },
  ];
  const tables = [];
  for (const w of workloads) {
    const { results, description } = await measureScaling({
      brokers: brokersFromEnv(),
      workerCounts: options.workerCounts ?? [1, 2, 4],
      runs: w.runs,
      steps: options.steps ?? 10,
      sleepMs: w.sleepMs,
      partitions: options.partitions ?? 6,
      concurrency: w.concurrency,
      timeoutMs: 120_000,
      progress: (line) => process.stderr.write(line),
    });
    const base = results[0].stepsPerSecond;
    tables.push({ id: w.id, description: `${description}, worker concurrency ${w.concurrency}`, rows: results.map((r) => ({ ...r, speedup: r.stepsPerSecond / base })) });
  }
  return { tables };
}
