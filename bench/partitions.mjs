#!/usr/bin/env node
/**
 * What a partition costs on Kafka: the engine with every role in one process, and the Kafka client
 * alone, each at each partition count, at saturation (a measurement, not a test):
 *
 *   node bench/partitions.mjs [--partitions=1,6] [--workload=chain10|fanout20|flaky] [--rounds=2] [--seconds=5] [--warmup=5]
 *
 * Every run is a fresh process with topics of its own. Each round runs the counts in turn, the
 * engine and then the client alone at each, the order of the counts flipping from round to round so
 * that the machine's drift weighs on all alike. Prints, per count, the means over the rounds: the
 * engine's steps/s and CPU per step (the local broker's share apart), the client alone's round
 * trips/s, and the ratio of the two (the target takes it at the bus's default count, 6).
 * Kafka comes from KAFKA_BROKERS, or a broker on 127.0.0.1:9092.
 */
import { fmt } from './lib/format.mjs';
import { engineSaturation, runPhaseProcess } from './lib/phase-process.mjs';
import { ENGINE_LOAD, WORKLOADS } from './lib/workloads.mjs';

const usage = 'usage: node bench/partitions.mjs [--partitions=1,6] [--workload=chain10|fanout20|flaky] [--rounds=2] [--seconds=5] [--warmup=5]';
const args = new Map();
for (const arg of process.argv.slice(2)) {
  const m = /^--(partitions|workload|rounds|seconds|warmup)=(.+)$/.exec(arg);
  if (!m) throw new Error(`partitions: unknown argument ${JSON.stringify(arg)}\n${usage}`);
  args.set(m[1], m[2]);
}
const counts = (args.get('partitions') ?? '1,6').split(',').map(Number);
const workload = args.get('workload') ?? 'chain10';
const rounds = Number(args.get('rounds') ?? 2);
const seconds = Number(args.get('seconds') ?? 5);
const warmup = Number(args.get('warmup') ?? 5);
if (!(counts.length >= 1 && counts.every((p) => Number.isInteger(p) && p >= 1 && p <= 64))) throw new Error(`partitions: --partitions must be integers from 1 to 64, got ${args.get('partitions')}`);
if (!WORKLOADS.includes(workload)) throw new Error(`partitions: --workload must be one of ${WORKLOADS.join(', ')}, got ${workload}`);
if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 10)) throw new Error(`partitions: --rounds must be an integer from 1 to 10, got ${args.get('rounds')}`);
if (!(seconds >= 1 && seconds <= 60)) throw new Error(`partitions: --seconds must be from 1 to 60, got ${args.get('seconds')}`);
if (!(warmup >= 0 && warmup <= 60)) throw new Error(`partitions: --warmup must be from 0 to 60, got ${args.get('warmup')}`);

process.env.KAFKA_BROKERS ??= '127.0.0.1:9092';
const say = (line) => process.stderr.write(`partitions: ${line}\n`);
const TIMEOUT_MS = 300_000;

/** The engine on Kafka, every role in this process, at `partitions`: steps/s, CPU µs per step, and the broker's share of it. */
async function engine(partitions) {
  const s = await engineSaturation({ bus: 'kafka', partitions, ...ENGINE_LOAD, workloads: [workload], warmupMs: warmup * 1000, measureMs: seconds * 1000, saturationOnly: true, timeoutMs: TIMEOUT_MS }, workload);
  return { stepsPerSec: s.stepsPerSec, cpuUsPerStep: s.cpuUsPerStep, brokerUsPerStep: s.cpuByThread?.outside };
}

/** The Kafka client alone (request/reply across two processes) at `partitions`, with 64 in flight: round trips/s. */
async function clientAlone(partitions) {
  const result = await runPhaseProcess('client-alone', { partitions, window: 64, warmupMs: warmup * 1000, measureMs: seconds * 1000, timeoutMs: TIMEOUT_MS });
  return { roundTripsPerSec: result.saturation.roundTripsPerSec, cpuUsPerRoundTrip: result.saturation.cpuUsPerRoundTrip };
}

const got = new Map(counts.map((p) => [p, { engine: [], client: [] }]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? counts : [...counts].reverse();
  for (const p of order) {
    const e = await engine(p);
    say(`round ${round + 1}/${rounds}, ${p} partition(s): engine ${fmt(e.stepsPerSec, 0)} steps/s, ${e.cpuUsPerStep} µs/step (broker ${e.brokerUsPerStep ?? '—'})`);
    got.get(p).engine.push(e);
    const c = await clientAlone(p);
    say(`round ${round + 1}/${rounds}, ${p} partition(s): client alone ${fmt(c.roundTripsPerSec, 0)} round trips/s, ${c.cpuUsPerRoundTrip} µs each`);
    got.get(p).client.push(c);
  }
}

const mean = (xs, f) => xs.reduce((n, x) => n + (f(x) ?? NaN), 0) / xs.length;
process.stdout.write(`Kafka, ${workload}, every role in one process; means of ${rounds} round(s) of ${seconds} s after ${warmup} s of warm-up:\n\n`);
process.stdout.write('| partitions | engine steps/s | CPU per step (broker) | client alone round trips/s | CPU per round trip | engine ÷ client |\n|---|---|---|---|---|---|\n');
for (const [p, { engine: e, client: c }] of got) {
  const steps = mean(e, (x) => x.stepsPerSec);
  const trips = mean(c, (x) => x.roundTripsPerSec);
  process.stdout.write(`| ${p} | ${fmt(steps, 0)} | ${fmt(mean(e, (x) => x.cpuUsPerStep), 0)} µs (${fmt(mean(e, (x) => x.brokerUsPerStep), 0)}) | ${fmt(trips, 0)} | ${fmt(mean(c, (x) => x.cpuUsPerRoundTrip), 0)} µs | ${fmt(steps / trips, 3)}x |\n`);
}
