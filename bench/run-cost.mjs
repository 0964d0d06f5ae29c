#!/usr/bin/env node
/**
 * What a run costs beside its steps, for the engine and for BullMQ. Each is saturated on a chain
 * of 3 steps and on a chain of 10, in fresh processes, in the order 3, 10, 10, 3 (then again), and
 * the CPU of a run of each length is split as cost(n) = run + n × step: `run` is what a run costs
 * however long it is (its start, its end, the bookkeeping of a run), `step` what each step adds.
 *
 *   node bench/run-cost.mjs [--bus=embedded|kafka] [--pairs=4] [--seconds=6] [--warmup=3] [--only=engine|bullmq] [--starts=single|batched|bus]
 *
 * The workloads' ratios to BullMQ differ with the steps a run has (chain10 nearest, flaky's three
 * steps farthest): this says whether the difference is in what a step costs or in what a run does.
 * Each pair gives one estimate of both; the report gives their mean with a 95% interval, in µs of
 * CPU, and split as the phases split it (the engine: event loop, worker threads, V8's threads, and
 * the local broker; BullMQ: its process's threads and Redis). Each system starts its runs as the
 * full bench has it (bench/lib/starts.mjs), or as `--starts` says: one request per run, the
 * runs of one turn in one request, or (the engine) the runs of one turn written to its bus.
 */
import { runPhaseProcess } from './lib/phase-process.mjs';
import { meanInterval } from './lib/stats.mjs';
import { ENGINE_START_MODES, STARTS } from './lib/starts.mjs';
import { CHAIN_LENGTHS, ENGINE_LOAD, MEASURED_WINDOWS } from './lib/workloads.mjs';

const usage = 'usage: node bench/run-cost.mjs [--bus=embedded|kafka] [--pairs=N] [--seconds=S] [--warmup=S] [--only=engine|bullmq] [--starts=single|batched|bus]';
const args = new Map();
for (const arg of process.argv.slice(2)) {
  const m = /^--(bus|pairs|seconds|warmup|only|starts)=(.+)$/.exec(arg);
  if (!m) throw new Error(`run-cost: unknown argument ${JSON.stringify(arg)}\n${usage}`);
  args.set(m[1], m[2]);
}
const bus = args.get('bus') ?? 'embedded';
const pairs = Number(args.get('pairs') ?? 4);
const seconds = Number(args.get('seconds') ?? 6);
const warmup = Number(args.get('warmup') ?? 3);
const only = args.get('only');
if (!['embedded', 'kafka'].includes(bus)) throw new Error(`run-cost: --bus must be embedded or kafka, got ${bus}`);
if (!(Number.isInteger(pairs) && pairs >= 2 && pairs <= 20)) throw new Error(`run-cost: --pairs must be an integer from 2 to 20, got ${args.get('pairs')}`);
if (!(seconds >= 1 && seconds <= 60)) throw new Error(`run-cost: --seconds must be from 1 to 60, got ${args.get('seconds')}`);
if (!(warmup >= 0 && warmup <= 60)) throw new Error(`run-cost: --warmup must be from 0 to 60, got ${args.get('warmup')}`);
if (only !== undefined && !['engine', 'bullmq'].includes(only)) throw new Error(`run-cost: --only must be engine or bullmq, got ${only}`);
const starts = args.get('starts');
if (starts !== undefined && !ENGINE_START_MODES.includes(starts)) throw new Error(`run-cost: --starts must be ${ENGINE_START_MODES.join(' or ')}, got ${starts}`);
// BullMQ has no bus to write to: with --starts=bus it starts runs its own faster way.
const bullmqStarts = starts === undefined || starts === 'bus' ? STARTS.bullmq : starts;

const SHORT = 'chain3';
const LONG = 'chain10';
const GROUPS = ['main', 'workers', 'v8', 'outside'];
const say = (line) => process.stderr.write(`run-cost: ${line}\n`);
const common = { ...ENGINE_LOAD, window: MEASURED_WINDOWS, warmupMs: warmup * 1000, measureMs: seconds * 1000, timeoutMs: 300_000, saturationOnly: true };

const SYSTEMS = [
  { id: 'engine', label: `the engine (${bus}, every role in one process, starts ${starts ?? STARTS.engine})`, phase: 'engine', options: { bus, starts: starts ?? STARTS.engine }, groups: { main: 'event loop', workers: 'worker threads', v8: 'V8 threads', outside: 'the local broker' } },
  { id: 'bullmq', label: `BullMQ (Redis, starts ${bullmqStarts})`, phase: 'bullmq', options: { starts: bullmqStarts }, groups: { main: 'its process (main)', workers: 'its worker threads', v8: 'V8 threads', outside: 'Redis' } },
].filter((s) => only === undefined || s.id === only);

/** CPU µs per run of `workload` at saturation, in all and by thread group. */
async function perRun(system, workload) {
  const result = await runPhaseProcess(system.phase, { ...common, ...system.options, workloads: [workload] });
  const sat = result.workloads?.[workload]?.saturation;
  if (!(sat?.stepsPerSec > 0)) throw new Error(`run-cost: ${system.id} made no steps of ${workload}: ${result.workloads?.[workload]?.error ?? 'no result'}`);
  const steps = CHAIN_LENGTHS[workload];
  const byGroup = Object.fromEntries(GROUPS.map((g) => [g, (sat.cpuByThread?.[g] ?? 0) * steps]));
  say(`${system.id} ${workload}: ${sat.runsPerSec} runs/s, ${Math.round(sat.cpuUsPerStep * steps)} µs a run`);
  return { all: sat.cpuUsPerStep * steps, byGroup };
}

/** cost(n) = run + n × step, from the costs of a short and a long run. */
function split(short, long) {
  const step = (long - short) / (CHAIN_LENGTHS[LONG] - CHAIN_LENGTHS[SHORT]);
  return { run: short - CHAIN_LENGTHS[SHORT] * step, step };
}

const figure = (values) => {
  const { mean, low, high } = meanInterval(values);
  return `${Math.round(mean)} µs (${Math.round(low)}–${Math.round(high)})`;
};

const results = [];
for (const system of SYSTEMS) {
  const estimates = [];
  for (let i = 0; i < pairs; i++) {
    // Short first in even pairs, long first in odd ones: a drift of the machine weighs on both alike.
    const order = i % 2 === 0 ? [SHORT, LONG] : [LONG, SHORT];
    const got = {};
    for (const workload of order) got[workload] = await perRun(system, workload);
    estimates.push({
      all: split(got[SHORT].all, got[LONG].all),
      byGroup: Object.fromEntries(GROUPS.map((g) => [g, split(got[SHORT].byGroup[g], got[LONG].byGroup[g])])),
    });
  }
  results.push({ system, estimates });
}

process.stdout.write(`CPU a run = run + steps × step, from ${SHORT} and ${LONG} at saturation, ${pairs} pairs of ${seconds} s after ${warmup} s of warm-up (mean, 95% interval):\n`);
for (const { system, estimates } of results) {
  process.stdout.write(`  ${system.label}: a run ${figure(estimates.map((e) => e.all.run))}, a step ${figure(estimates.map((e) => e.all.step))}\n`);
  for (const g of GROUPS) {
    const runs = estimates.map((e) => e.byGroup[g].run);
    const steps = estimates.map((e) => e.byGroup[g].step);
    if (runs.every((v) => v === 0) && steps.every((v) => v === 0)) continue;
    process.stdout.write(`    ${system.groups[g]}: a run ${figure(runs)}, a step ${figure(steps)}\n`);
  }
}
