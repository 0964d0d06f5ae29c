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
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureKafka, randomPrefix, spawnRole, waitFor, waitForHttp } from '@orchestrator-lite/testing';
import { createServer } from 'node:net';

const BIN = fileURLToPath(new URL('../../packages/cli/dist/src/bin.js', import.meta.url));

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

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function request(url, method = 'GET', body) {
  const response = await fetch(url, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const workflow = {
  description: `${steps} ${sleepMs > 0 ? `demo.sleep ${sleepMs} ms` : 'demo.echo'} steps in a row`,
  steps: Array.from({ length: steps }, (_, i) => ({
    id: `s${i + 1}`,
    task: sleepMs > 0 ? 'demo.sleep' : 'demo.echo',
    ...(i > 0 ? { dependsOn: [`s${i}`] } : {}),
    input: sleepMs > 0 ? { ms: sleepMs, ticks: 1 } : { i },
  })),
};

async function submit(url, name, count) {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      const { status, body } = await request(`${url}/api/v1/runs`, 'POST', { workflow: name, input: {} });
      if (status !== 202) throw new Error(`POST /api/v1/runs: ${status} ${JSON.stringify(body)}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
}

async function succeeded(url, name, expected, timeout) {
  await waitFor(async () => {
    const { body } = await request(`${url}/api/v1/runs?workflow=${name}&limit=1`);
    if (body.counts.FAILED > 0) throw new Error(`runs failed: ${JSON.stringify(body.counts)}`);
    return body.counts.SUCCEEDED >= expected;
  }, { timeoutMs: timeout, intervalMs: 50, description: `${expected} runs of ${name} SUCCEEDED` });
}

/** One deployment with `workers` worker processes; returns the measured batch. */
async function measure(brokers, workers) {
  const cleanups = [];
  const ctx = { after: (fn) => cleanups.push(fn) };
  const prefix = randomPrefix('bench');
  const env = {
    KAFKA_BROKERS: brokers.join(','),
    ORCH_TOPIC_PREFIX: prefix,
    ORCH_PARTITIONS: String(partitions),
    ORCH_WORKER_CONCURRENCY: String(concurrency),
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
  };
  try {
    const orchestrator = spawnRole(ctx, { name: 'orchestrator', args: [BIN, 'orchestrator'], env: { ...env, LOG_LEVEL: 'info' } });
    await orchestrator.waitForOutput(/orchestrator \S+ running/, 60_000);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    spawnRole(ctx, { name: 'gateway', args: [BIN, 'gateway'], env: { ...env, PORT: String(port) } });
    const started = Array.from({ length: workers }, (_, i) => {
      const worker = spawnRole(ctx, { name: `worker-${i + 1}`, args: [BIN, 'worker', '--demo'], env: { ...env, LOG_LEVEL: 'info' } });
      return worker.waitForOutput(/worker \S+ running the demo tasks/, 60_000);
    });
    await Promise.all([waitForHttp(`${url}/readyz`, 60_000), ...started]);
    const name = 'scaling-chain';
    const registered = await request(`${url}/api/v1/workflows/${name}`, 'PUT', workflow);
    if (registered.status >= 300) throw new Error(`PUT workflow: ${registered.status} ${JSON.stringify(registered.body)}`);

    // Warm-up: every worker joined the group (partitions settled) and the code paths are hot.
    const warmup = Math.max(10, workers * 5);
    await submit(url, name, warmup);
    await succeeded(url, name, warmup, timeoutMs);

    const t0 = performance.now();
    await submit(url, name, runs);
    const submittedMs = performance.now() - t0;
    await succeeded(url, name, warmup + runs, timeoutMs);
    const elapsedMs = performance.now() - t0;
    return { workers, elapsedMs, submittedMs, stepsPerSecond: (runs * steps) / (elapsedMs / 1000), runsPerSecond: runs / (elapsedMs / 1000) };
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

const { brokers } = await ensureKafka();
const results = [];
for (const workers of workerCounts) {
  for (let r = 0; r < repeat; r++) {
    process.stderr.write(`[scaling] ${workers} worker process(es), run ${r + 1}/${repeat}: ${runs} runs × ${steps} steps… `);
    const result = await measure(brokers, workers);
    process.stderr.write(`${result.stepsPerSecond.toFixed(0)} steps/s\n`);
    results.push(result);
  }
}

const best = new Map();
for (const r of results) if (!best.has(r.workers) || best.get(r.workers).stepsPerSecond < r.stepsPerSecond) best.set(r.workers, r);
const base = best.get(workerCounts[0]).stepsPerSecond;
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`\nScaling on Kafka (${brokers.join(',')}), ${availableParallelism()} × ${cpu}`);
console.log(`workload: ${runs} runs × ${workflow.description}; ${partitions} partitions; worker concurrency ${concurrency}; 1 orchestrator, 1 gateway`);
console.log(`best of ${repeat} per row; the batch is timed from the first POST to the last run SUCCEEDED\n`);
console.log('| worker processes | batch time (s) | runs/s | steps/s | vs 1st row |');
console.log('|---:|---:|---:|---:|---:|');
for (const r of best.values()) {
  console.log(`| ${r.workers} | ${(r.elapsedMs / 1000).toFixed(2)} | ${r.runsPerSecond.toFixed(1)} | ${r.stepsPerSecond.toFixed(0)} | ${(r.stepsPerSecond / base).toFixed(2)}× |`);
}
