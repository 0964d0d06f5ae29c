#!/usr/bin/env node
// Horizontal scaling on Kafka: steps/s with 1, 2 and 4 worker processes.
//
// For each worker count it starts a fresh deployment (its own topic prefix): one
// `orch orchestrator`, one `orch gateway` and N `orch worker --demo`, each its own OS process,
// all on the same broker. It registers a chain of demo steps, runs a small warm-up batch, then
// submits a fixed batch of runs through the gateway's REST API and times the batch from the first
// POST until the gateway reports every run SUCCEEDED. Prints a table; it is not a test.
//
//   node bench/scaling/scaling.mjs [--workers 1,2,4] [--runs 300] [--steps 10] [--sleep-ms 0]
//                                  [--partitions 6] [--concurrency 16] [--repeat 1]
//
// --sleep-ms N > 0 uses demo.sleep {ms: N} instead of demo.echo, i.e. work that waits (I/O-like)
// rather than the bare cost of the engine per step.
// Kafka: KAFKA_BROKERS, or deploy/kafka/kafka.sh up (Java + Maven) on 127.0.0.1:9092.
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { ensureKafka } from '@orchestrator-lite/testing';
import { measureScaling } from './measure.mjs';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2,4' },
    runs: { type: 'string', default: '300' },
    steps: { type: 'string', default: '10' },
    'sleep-ms': { type: 'string', default: '0' },
    partitions: { type: 'string', default: '6' },
    concurrency: { type: 'string', default: '16' },
    repeat: { type: 'string', default: '1' },
    timeout: { type: 'string', default: '300000' },
  },
});

function positiveInt(name, value, min = 1) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}
const workerCounts = values.workers.split(',').map((w) => positiveInt('workers', w.trim()));
const runs = positiveInt('runs', values.runs);
const steps = positiveInt('steps', values.steps);
const sleepMs = positiveInt('sleep-ms', values['sleep-ms'], 0);
const partitions = positiveInt('partitions', values.partitions);
const concurrency = positiveInt('concurrency', values.concurrency);
const repeat = positiveInt('repeat', values.repeat);
const timeoutMs = positiveInt('timeout', values.timeout);

const { brokers } = await ensureKafka();
const { results, description } = await measureScaling({ brokers, workerCounts, runs, steps, sleepMs, partitions, concurrency, repeat, timeoutMs, progress: (line) => process.stderr.write(line) });

const best = new Map();
for (const r of results) if (!best.has(r.workers) || best.get(r.workers).stepsPerSecond < r.stepsPerSecond) best.set(r.workers, r);
const base = best.get(workerCounts[0]).stepsPerSecond;
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`\nScaling on Kafka (${brokers.join(',')}), ${availableParallelism()} × ${cpu}`);
console.log(`workload: ${runs} runs × ${description}; ${partitions} partitions; worker concurrency ${concurrency}; 1 orchestrator, 1 gateway`);
console.log(`best of ${repeat} per row; the batch is timed from the first POST to the last run SUCCEEDED\n`);
console.log('| worker processes | batch time (s) | runs/s | steps/s | vs 1st row |');
console.log('|---:|---:|---:|---:|---:|');
for (const r of best.values()) {
  console.log(`| ${r.workers} | ${(r.elapsedMs / 1000).toFixed(2)} | ${r.runsPerSecond.toFixed(1)} | ${r.stepsPerSecond.toFixed(0)} | ${(r.stepsPerSecond / base).toFixed(2)}× |`);
}
