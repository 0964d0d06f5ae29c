#!/usr/bin/env node
/**
 * What a history of finished runs costs the embedded engine, after 2,000 and after 20,000 finished
 * runs of a 2-step chain (a measurement, not a test):
 *
 *   node bench/history-scale.mjs [--bus=embedded|kafka] [runs...]        (default: embedded, 2000 20000)
 *
 * On Kafka (KAFKA_BROKERS, default 127.0.0.1:9092) each size gets topics of its own, and nothing is
 * compacted first: the broker's log cleaner runs when it will, so a restore reads what it finds.
 *
 * For each size, in a fresh data dir: an orchestrator, a worker and a gateway (SQLite read store)
 * run the chain that many times on the embedded bus, started by StartRun commands in batches, and
 * stop once every run SUCCEEDED and the read store holds them all. Then, each in a fresh process
 * with forced GC (--expose-gc):
 *   - orchestrator: the bus compacted first (as its background compaction would have), time from
 *     start to owning every partition (the restores of orch.state), the records they read, the
 *     process's heap and array buffers after GC, and how much of them is above what they were
 *     with the bus open (what the retained runs cost, per run);
 *   - gateway: time from start to ready (the read store resumes from its checkpoint), and the
 *     process's heap and RSS after GC; the median of three restarts.
 * The ratios of the largest size to the smallest are printed at the end (targets: at most 1.2x).
 * Wall times on a machine shared with other busy processes vary run to run; the heap figures do not.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { importBuilt } from './lib/worktree.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const load = (pkg) => importBuilt(root, pkg);
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const PARTITIONS = 6;
const BATCH = 500;
const RUN_TIMEOUT_MS = 600_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`history-scale: ${what} not within ${timeoutMs} ms`);
    await sleep(50);
  }
}
const settle = async () => {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await sleep(50);
  }
  return process.memoryUsage();
};
const silent = async () => {
  const { pino } = await import(pathToFileURL(join(root, 'node_modules/pino/pino.js')).href);
  return pino({ level: 'silent' });
};

/** Runs the chain `runs` times on a fresh engine in `dataDir`, and stops it once all are SUCCEEDED and projected. */
/** The bus of one measurement: the embedded log in dataDir, or the Kafka topics of `prefix`. */
async function openBus(bus, dataDir, options = {}) {
  const { createEmbeddedTransport, createKafkaTransport } = await load('transport');
  return bus === 'kafka' ? createKafkaTransport({ brokers: BROKERS, clientId: 'history-scale' }) : createEmbeddedTransport({ dataDir, ...options });
}

async function prepare(bus, prefix, dataDir, runs) {
  const core = await load('core');
  const { startOrchestrator } = await load('orchestrator');
  const { startWorker, defineTask } = await load('worker');
  const { startGateway } = await load('gateway');
  const logger = await silent();
  const transport = await openBus(bus, dataDir);
  const names = core.topicNames(prefix);
  const orchestrator = await startOrchestrator({ transport, topicPrefix: prefix, partitions: PARTITIONS, logger });
  const worker = await startWorker({ transport, topicPrefix: prefix, partitions: PARTITIONS, logger, tasks: [defineTask('echo', async (input) => input)] });
  const gateway = await startGateway({ transport, topicPrefix: prefix, partitions: PARTITIONS, port: 0, dataDir, logger });
  const began = Date.now();
  try {
    await until('the engine to be ready', () => gateway.isReady() && orchestrator.ownedPartitions().length === PARTITIONS, 60_000);
    const definition = core.parseDefinition({
      name: 'chain',
      steps: [
        { id: 'a', task: 'echo', input: { n: '${input.n}' } },
        { id: 'b', task: 'echo', dependsOn: ['a'], input: { n: '${steps.a.output.n}' } },
      ],
    });
    const runId = (i) => `01900000-0000-7000-8000-${String(i).padStart(12, '0')}`;
    // Batches of BATCH runs, the next once the previous ended: a bounded amount in flight.
    for (let first = 0; first < runs; first += BATCH) {
      const last = Math.min(runs, first + BATCH);
      const records = [];
      for (let i = first; i < last; i++) {
        const id = runId(i);
        const command = { v: 1, type: 'StartRun', runId: id, workflow: definition.name, version: 1, definition, input: { n: i }, at: Date.now() };
        records.push({ topic: names.commands, key: id, value: core.encodeMessage(command) });
      }
      await transport.produce(records);
      await until(`runs ${first}..${last - 1} to end`, () => orchestrator.heldRunCount() === 0 && orchestrator.runCount() === last, RUN_TIMEOUT_MS);
    }
    for (let i = 0; i < runs; i += Math.max(1, Math.floor(runs / 50))) {
      const status = orchestrator.runStatus(runId(i));
      if (status !== 'SUCCEEDED') throw new Error(`history-scale: run ${i} is ${status}`);
    }
    await until('the read store to hold every run', async () => (await gateway.readModel.runCount()) === runs, RUN_TIMEOUT_MS);
  } finally {
    await gateway.close();
    await worker.close();
    await orchestrator.close();
    await transport.close();
  }
  return { prepareMs: Date.now() - began };
}

/** A fresh orchestrator on the history: restore time and retained heap. */
async function orchestratorAfter(bus, prefix, dataDir) {
  const { startOrchestrator } = await load('orchestrator');
  const { pino } = await import(pathToFileURL(join(root, 'node_modules/pino/pino.js')).href);
  const restores = [];
  const logger = pino({ level: 'info' }, { write: (line) => line.includes('partition assigned and restored') && restores.push(JSON.parse(line)) });
  const transport = await openBus(bus, dataDir, { compactionIntervalMs: 0 });
  // The log as the background compaction leaves it (every 60 s by default), then the bus open before the baseline.
  const compacted = bus === 'kafka' ? 0 : await transport.compact();
  const before = await settle();
  const started = performance.now();
  const orchestrator = await startOrchestrator({ transport, topicPrefix: prefix, partitions: PARTITIONS, logger });
  await until('the orchestrator to own every partition', () => orchestrator.ownedPartitions().length === PARTITIONS, 120_000);
  const restoreMs = performance.now() - started;
  const retained = orchestrator.runCount();
  const after = await settle();
  await orchestrator.close();
  await transport.close();
  const recordsRead = restores.reduce((n, l) => n + l.recordsRead, 0);
  // Array buffers count too: the finished runs are packed into a Buffer, outside the JS heap.
  const retainedHeap = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  return { restoreMs, retained, compacted, recordsRead, orchestratorHeapMiB: (after.heapUsed + after.arrayBuffers) / 2 ** 20, retainedHeapMiB: retainedHeap / 2 ** 20, bytesPerRetained: retainedHeap / Math.max(1, retained) };
}

/** A fresh gateway on the history: restart to ready, heap and RSS. */
async function gatewayAfter(bus, prefix, dataDir) {
  const { startGateway } = await load('gateway');
  const logger = await silent();
  const transport = await openBus(bus, dataDir);
  await transport.endOffsets(`${prefix}events`);
  const started = performance.now();
  const gateway = await startGateway({ transport, topicPrefix: prefix, partitions: PARTITIONS, port: 0, dataDir, logger });
  await until('the gateway to be ready', () => gateway.isReady(), 120_000);
  const readyMs = performance.now() - started;
  const runs = await gateway.readModel.runCount();
  const { heapUsed, rss } = await settle();
  await gateway.close();
  await transport.close();
  return { gatewayReadyMs: readyMs, gatewayRuns: runs, gatewayHeapMiB: heapUsed / 2 ** 20, gatewayRssMiB: rss / 2 ** 20 };
}

if (process.argv[2] === '--child') {
  const [, , , mode, bus, prefix, dataDir, runs] = process.argv;
  const out = mode === 'prepare' ? await prepare(bus, prefix, dataDir, Number(runs)) : mode === 'orchestrator' ? await orchestratorAfter(bus, prefix, dataDir) : await gatewayAfter(bus, prefix, dataDir);
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

const child = (args) => {
  const res = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.status !== 0) throw new Error(`history-scale: the ${args[0]} process failed: ${res.stderr}`);
  return JSON.parse(res.stdout);
};

/** Field by field, the median of a few measurements of the same thing. */
function medianOf(samples) {
  const out = {};
  for (const key of Object.keys(samples[0])) out[key] = samples.map((x) => x[key]).sort((a, b) => a - b)[samples.length >> 1];
  return out;
}

const bus = process.argv.find((a) => a.startsWith('--bus='))?.slice('--bus='.length) ?? 'embedded';
if (bus !== 'embedded' && bus !== 'kafka') throw new Error(`history-scale: --bus must be embedded or kafka, got ${bus}`);
const sizes = process.argv.slice(2).filter((a) => !a.startsWith('--')).map(Number).filter((n) => Number.isInteger(n) && n > 0);
const results = [];
console.log(`history-scale on the ${bus} bus${bus === 'kafka' ? ` (${BROKERS.join(',')})` : ''}`);
for (const runs of sizes.length > 0 ? sizes : [2000, 20_000]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'history-scale-'));
  const prefix = bus === 'kafka' ? `hs${Date.now().toString(36)}.` : 'hs.';
  try {
    console.log(`${runs} runs: running them, then an orchestrator and a gateway each in a fresh process...`);
    const { prepareMs } = child(['prepare', bus, prefix, dataDir, String(runs)]);
    const o = child(['orchestrator', bus, prefix, dataDir]);
    // Restart to ready is a few hundred ms, so one other busy process moves it: the median of three restarts.
    const g = medianOf(Array.from({ length: 3 }, () => child(['gateway', bus, prefix, dataDir])));
    const r = { runs, prepareMs, ...o, ...g };
    results.push(r);
    console.log(
      `${runs} finished runs (made in ${(prepareMs / 1000).toFixed(1)} s): orchestrator restore ${r.restoreMs.toFixed(0)} ms reading ${r.recordsRead} records of orch.state (${r.compacted} compacted away first), heap and array buffers ${r.orchestratorHeapMiB.toFixed(1)} MiB, of which ${r.retainedHeapMiB.toFixed(2)} MiB above the open bus for ${r.retained} retained (${r.bytesPerRetained.toFixed(0)} B each); ` +
        `gateway to ready ${r.gatewayReadyMs.toFixed(0)} ms, heap ${r.gatewayHeapMiB.toFixed(1)} MiB, RSS ${r.gatewayRssMiB.toFixed(1)} MiB (store holds ${r.gatewayRuns} runs)`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
const small = results[0];
const large = results.at(-1);
if (small !== undefined && large !== undefined && large !== small) {
  const ratio = (k) => (large[k] / small[k]).toFixed(2);
  console.log(
    `ratio ${large.runs}/${small.runs} (target <= 1.2x): gateway to ready ${ratio('gatewayReadyMs')}x, gateway RSS ${ratio('gatewayRssMiB')}x, ` +
      `orchestrator heap ${ratio('orchestratorHeapMiB')}x, orchestrator restore ${ratio('restoreMs')}x, not a target: a restore reads every retained run's records (wall times on a machine shared with other busy processes)`,
  );
}
