#!/usr/bin/env node
/**
 * Where a run's time goes: the engine (every role in one process, or with --split on Kafka each in
 * its own, as deployed) saturated on one workload, each measured run's events timed one after the
 * other, from the request that started it to its last event's frame at the bench's WebSocket
 * client. Prints, for each gap between two consecutive events that most runs share, its mean, p50
 * and p99 and its share of the run. With --load=fixed, the same at the bench's fixed load (half
 * the saturated run rate, started at a steady pace), where the latency targets are measured.
 *
 *   node bench/timeline.mjs [--bus=embedded|kafka] [--split] [--workload=flaky] [--load=saturation|fixed] [--window=N] [--seconds=6] [--warmup=3]
 *
 * A gap ends at an event's `at` (the engine's clock when it happened), except the first (the
 * bench's request) and the last (the frame's arrival). With parallel steps (fanout20) the
 * events' order differs from run to run, and only the gaps at least half the runs share print.
 */
import { runPhaseProcess } from './lib/phase-process.mjs';
import { engineToolArgs } from './lib/engine-tool-args.mjs';
import { ENGINE_LOAD } from './lib/workloads.mjs';

const { bus, split, workload, load, window: inFlight, seconds, warmup } = engineToolArgs('timeline', process.argv.slice(2), { buses: ['embedded', 'kafka'], workload: 'flaky' });

const shape = load === 'fixed' ? `at half its saturated run rate (measured first, ${inFlight} runs in flight)` : `at saturation (${inFlight} runs in flight)`;
process.stderr.write(`timeline: the engine on ${bus}${split ? ', each role in its own process' : ''}, ${workload} ${shape}, ${warmup} s of warm-up, ${seconds} s measured\n`);
const result = await runPhaseProcess('engine', {
  ...ENGINE_LOAD,
  bus,
  window: { [workload]: inFlight },
  workloads: [workload],
  warmupMs: warmup * 1000,
  measureMs: seconds * 1000,
  timeoutMs: 300_000,
  saturationOnly: load === 'saturation',
  timeline: true,
  split,
});
const measured = result.workloads?.[workload]?.[load];
if (measured?.timeline === undefined) throw new Error(`timeline: the engine phase measured nothing: ${result.workloads?.[workload]?.error ?? 'no timeline'}`);

const runs = measured.latency.runLatency;
const shared = measured.timeline.filter((gap) => gap.n * 2 >= runs.n).sort((a, b) => Number(a.key.split('|')[0]) - Number(b.key.split('|')[0]));
const total = shared.reduce((sum, gap) => sum + gap.mean, 0);
const f = (v) => v.toFixed(1).padStart(6);
const lines = [
  `${measured.runsPerSec} runs/s; ${runs.n} runs measured, a run ${runs.mean} ms mean (p50 ${runs.p50}, p99 ${runs.p99})`,
  '',
  `${'from -> to'.padEnd(58)}  mean    p50    p99  share`,
  ...shared.map((gap) => `${gap.key.split('|')[1].padEnd(58)}${f(gap.mean)} ${f(gap.p50)} ${f(gap.p99)}  ${((100 * gap.mean) / total).toFixed(0).padStart(4)}%`),
  '',
  `the gaps above add up to ${total.toFixed(1)} ms mean`,
];
process.stdout.write(`${lines.join('\n')}\n`);
