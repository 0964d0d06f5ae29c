#!/usr/bin/env node
/**
 * Where a record's time goes between two roles on Kafka: the engine saturated (or at half that
 * rate with --load=fixed) on one workload, every role in one process (each in its own with
 * --split), and each record written in the measured window followed from its `produce` call to
 * its reader's `onBatch`, through the Kafka transport's record-legs channel (record-legs.ts):
 *
 *   queued -> sent           the call waited for the client's send in flight (one at a time)
 *   sent -> acknowledged     the produce request, as the writer's event loop saw its answer
 *   acknowledged -> fetched  until the reader's fetch brought it (negative: the reader had it
 *                            before the writer read its acknowledgement)
 *   fetched -> delivered     the reader's partition was busy with its previous batch
 *
 * by topic and reading group, mean, p50 and p90 in ms.
 *
 *   node bench/legs.mjs [--split] [--workload=chain10] [--load=saturation|fixed] [--window=N] [--seconds=6] [--warmup=3]
 *
 * Needs a broker (KAFKA_BROKERS, else 127.0.0.1:9092).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPhaseProcess } from './lib/phase-process.mjs';
import { engineToolArgs } from './lib/engine-tool-args.mjs';
import { quantile } from './lib/stats.mjs';
import { ENGINE_LOAD } from './lib/workloads.mjs';

const { split, workload, load, window: inFlight, seconds, warmup } = engineToolArgs('legs', process.argv.slice(2), { buses: ['kafka'], workload: 'chain10' });

/** Every thread's messages: the produced records by place, and each group's reads of them. */
function readLegs(from) {
  const produced = new Map();
  const reads = new Map();
  for (const file of readdirSync(from)) {
    for (const line of readFileSync(join(from, file), 'utf8').split('\n')) {
      if (line === '') continue;
      const m = JSON.parse(line);
      for (const r of m.records) {
        const place = `${r.topic}/${r.partition}/${r.offset}`;
        if (m.kind === 'produced') produced.set(place, { topic: r.topic, queuedAt: r.queuedAt, sentAt: m.sentAt, acknowledgedAt: m.acknowledgedAt });
        else {
          const key = `${place}|${m.group}`;
          const read = reads.get(key) ?? { place, group: m.group };
          // A record fetched again (an express fetch, a revoke) counts from its first fetch and delivery.
          read[m.kind] ??= m.at;
          reads.set(key, read);
        }
      }
    }
  }
  return { produced, reads };
}

const LEGS = [
  ['queued -> sent', (p) => p.sentAt - p.queuedAt],
  ['sent -> acknowledged', (p) => p.acknowledgedAt - p.sentAt],
  ['acknowledged -> fetched', (p, r) => r.fetched - p.acknowledgedAt],
  ['fetched -> delivered', (_p, r) => r.delivered - r.fetched],
  ['queued -> delivered', (p, r) => r.delivered - p.queuedAt],
];

/** The topic or group name without the bench's prefix (`bench-<label>-<id>.`) and a gateway's instance id. */
const unprefixed = (name) => name.slice(name.indexOf('.') + 1).replace(/\.[0-9a-f]{8}-[0-9a-f-]{27}$/, '');

function report({ produced, reads }, window) {
  const byPath = new Map();
  for (const read of reads.values()) {
    const p = produced.get(read.place);
    if (p === undefined || read.fetched === undefined || read.delivered === undefined) continue;
    if (p.queuedAt < window.from || p.queuedAt >= window.to) continue;
    const path = `${unprefixed(p.topic)} -> ${unprefixed(read.group)}`;
    const legs = byPath.get(path) ?? LEGS.map(() => []);
    LEGS.forEach(([, leg], i) => legs[i].push(leg(p, read)));
    byPath.set(path, legs);
  }
  if (byPath.size === 0) return ['no record written in the measured window was read'];
  const lines = [`${'topic -> group: leg'.padEnd(52)}${'mean'.padStart(8)}${'p50'.padStart(8)}${'p90'.padStart(8)}`];
  for (const [path, legs] of [...byPath].sort((a, b) => b[1][0].length - a[1][0].length)) {
    lines.push('', `${path} (${legs[0].length} records)`);
    LEGS.forEach(([name], i) => lines.push(`  ${name.padEnd(50)}${stats(legs[i]).map((v) => v.toFixed(2).padStart(8)).join('')}`));
  }
  return lines;
}

function stats(values) {
  const sorted = Float64Array.from(values).sort();
  return [values.reduce((a, b) => a + b, 0) / values.length, quantile(sorted, 0.5), quantile(sorted, 0.9)];
}

const dir = mkdtempSync(join(tmpdir(), 'orch-legs-'));
try {
  const shape = `${load === 'fixed' ? 'at half its saturated run rate (measured first)' : 'at saturation'} with ${inFlight} runs in flight`;
  process.stderr.write(`legs: the engine on kafka${split ? ', each role in its own process' : ''}, ${workload} ${shape}, ${warmup} s of warm-up, ${seconds} s measured\n`);
  // NODE_OPTIONS, not execArgv: the roles' own processes (--split) load the recorder too.
  const recorder = new URL('./lib/legs-recorder.mjs', import.meta.url).href;
  const env = { ...process.env, BENCH_LEGS_DIR: dir, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${recorder}`.trim() };
  const options = { ...ENGINE_LOAD, bus: 'kafka', window: { [workload]: inFlight }, workloads: [workload], warmupMs: warmup * 1000, measureMs: seconds * 1000, timeoutMs: 300_000, saturationOnly: load === 'saturation', timeline: true, split };
  const result = await runPhaseProcess('engine', options, undefined, { env });
  const measured = result.workloads?.[workload]?.[load];
  if (measured?.window === undefined) throw new Error(`legs: the engine phase measured nothing: ${result.workloads?.[workload]?.error ?? 'no window'}`);
  process.stdout.write(`${measured.stepsPerSec} steps/s, ${measured.runsPerSec} runs/s\n\n${report(readLegs(dir), measured.window).join('\n')}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
