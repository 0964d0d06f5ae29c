/** Phase: steps/s on Kafka with 1, 2 and 4 worker processes (roles as separate OS processes). */
import { brokersFromEnv } from '../lib/bus.mjs';
import { measureScaling } from '../scaling/measure.mjs';

export async function run(options) {
  const { results, description } = await measureScaling({
    brokers: brokersFromEnv(),
    workerCounts: options.workerCounts ?? [1, 2, 4],
    runs: options.runs ?? 200,
    steps: options.steps ?? 10,
    partitions: options.partitions ?? 6,
    concurrency: options.concurrency ?? 16,
    timeoutMs: 120_000,
    progress: (line) => process.stderr.write(line),
  });
  const base = results[0].stepsPerSecond;
  return { description, rows: results.map((r) => ({ ...r, speedup: r.stepsPerSecond / base })) };
}
