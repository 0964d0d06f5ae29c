#!/usr/bin/env node
/**
 * The gateway's restart to ready, and its memory once ready, after 2,000 and after 20,000
 * finished runs (a 2-step chain, 8 events each) on the embedded bus with the SQLite read store.
 * A measurement, not a test:
 *
 *   node bench/read-store-restart.mjs [runs...]        (default: 2000 20000)
 *
 * For each size: the history is written to the bus, a first gateway projects it into its read
 * store and stops; then a fresh process starts a gateway on the same data dir and reports how
 * long it took to be ready (the store resumes from its checkpoint) and its heap and RSS after a
 * full GC. The ratio of the two sizes is printed at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { finishedChainEvents } from './lib/history.mjs';
import { importBuilt } from './lib/worktree.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const load = (pkg) => importBuilt(root, pkg);
const PREFIX = 'rs.';
const silent = { level: 'silent' };

async function gatewayOn(dataDir) {
  const { pino } = await import(pathToFileURL(join(root, 'node_modules/pino/pino.js')).href);
  const { createEmbeddedTransport } = await load('transport');
  const { startGateway } = await load('gateway');
  const opening = performance.now();
  const transport = createEmbeddedTransport({ dataDir });
  // The bus's own start (opening its log, its first offset queries) is measured apart from the gateway's.
  await transport.endOffsets(`${PREFIX}events`).catch(() => []);
  const busMs = performance.now() - opening;
  const started = performance.now();
  const gateway = await startGateway({ transport, topicPrefix: PREFIX, port: 0, partitions: 6, dataDir, logger: pino(silent) });
  while (!gateway.isReady()) await new Promise((r) => setTimeout(r, 5));
  return { gateway, transport, readyMs: performance.now() - started, busMs };
}

async function prepare(dataDir, runs) {
  const core = await load('core');
  const { createEmbeddedTransport, provisionTopics } = await load('transport');
  const transport = createEmbeddedTransport({ dataDir });
  const names = core.topicNames(PREFIX);
  await provisionTopics(transport, names, { partitions: 6 });
  for (let i = 0; i < runs; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(runs, i + 500); j++) {
      for (const event of finishedChainEvents(`run-${j}`, 1_000_000 + j)) batch.push({ topic: names.events, key: event.runId, value: core.encodeMessage(event) });
    }
    await transport.produce(batch);
  }
  await transport.close();
  const first = await gatewayOn(dataDir);
  await first.gateway.close();
  await first.transport.close();
  return first.readyMs;
}

async function restart(dataDir) {
  const { gateway, transport, readyMs, busMs } = await gatewayOn(dataDir);
  const runs = await gateway.readModel.runCount();
  const list = await fetch(`${gateway.url}/api/v1/runs?limit=50`).then((r) => r.json());
  globalThis.gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  await gateway.close();
  await transport.close();
  return { readyMs, busMs, runs, listed: list.items.length, heapMiB: heapUsed / 2 ** 20, rssMiB: rss / 2 ** 20 };
}

if (process.argv[2] === '--child') {
  const [, , , mode, dataDir, runs] = process.argv;
  const out = mode === 'prepare' ? { projectMs: await prepare(dataDir, Number(runs)) } : await restart(dataDir);
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

const child = (args) => {
  const res = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.status !== 0) throw new Error(`child failed: ${res.stderr}`);
  return JSON.parse(res.stdout);
};

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const results = [];
for (const runs of sizes.length > 0 ? sizes : [2000, 20000]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'read-store-bench-'));
  try {
    const { projectMs } = child(['prepare', dataDir, String(runs)]);
    const r = child(['restart', dataDir]);
    results.push({ runs, projectMs, ...r });
    console.log(
      `${runs} finished runs: first projection ${(projectMs / 1000).toFixed(1)} s; restart: bus open ${r.busMs.toFixed(0)} ms, then gateway to ready ${r.readyMs.toFixed(0)} ms; ` +
        `heap ${r.heapMiB.toFixed(1)} MiB, RSS ${r.rssMiB.toFixed(1)} MiB (store holds ${r.runs} runs)`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
const [small, large] = results;
if (small !== undefined && large !== undefined) {
  console.log(
    `ratio ${large.runs}/${small.runs}: gateway to ready ${(large.readyMs / small.readyMs).toFixed(2)}x, bus open ${(large.busMs / small.busMs).toFixed(2)}x, heap ${(large.heapMiB / small.heapMiB).toFixed(2)}x, RSS ${(large.rssMiB / small.rssMiB).toFixed(2)}x`,
  );
}
