#!/usr/bin/env node
/**
 * Before and after, on a noisy machine: the engine's saturated throughput of this checkout against
 * another revision, in alternated pairs, with the spread of their ratios.
 *
 *   node bench/ab.mjs --base=REV [--bus=embedded|kafka] [--workload=chain10|fanout20|flaky|chain3]
 *                     [--pairs=6] [--seconds=6] [--warmup=1] [--partitions=P] [--together]
 *
 * A single run of a phase moves by 15–30% from one run to the next on a small virtual machine,
 * more than most changes do. So the base revision is checked out into a temporary git worktree
 * and built there, then the two run one after the other, `pairs` times, the order flipping each
 * pair (base first, then this checkout first) so that a drift of the machine weighs on both
 * alike. Each pair gives one ratio (this checkout ÷ base) of steps/s and of CPU per step; the
 * report is their mean with a 95% interval, and says "within the noise" when the interval holds 1,
 * and their median, which one pair run at a slow moment of the machine moves less than the mean.
 * On Linux the CPU per step is also split by where it went (the event loop, worker threads, V8's
 * threads, and outside the process: the local Kafka broker), each with its ratio: a change to
 * one thread shows there even when the machine's drift hides it in the total; and the event
 * loop's wait for a CPU per step, when both revisions measure it. chain3, three steps
 * in a row, weighs what a run costs beside its steps three times as much as chain10 does; the
 * base must know it too (bench/lib/workloads.mjs).
 *
 * With --together the two run at the same time instead, each in its own process, `pairs` rounds
 * (which of them starts first alternating): both then see the machine at the same speed, so a
 * round's ratio keeps less of its drift. Two builds of one revision, flaky, 6 rounds: 0.94–1.05x
 * a round (the mean's 95% interval 0.939–1.018), where 6 alternated pairs in the same hour gave
 * 0.84–1.09x (0.897–1.075). Sharing the cores, each side is bound by what a step costs
 * in CPU rather than by its event loop's turns, so this measures a change to the cost of a step,
 * not one that moves work between threads; the local broker's CPU is both sides' and is left out.
 *
 * This checkout must be built (`npm run build`). Kafka needs KAFKA_BROKERS or a broker on
 * 127.0.0.1:9092. The worktree is removed at the end, also after a failure.
 */
import { engineSaturation } from './lib/phase-process.mjs';
import { describeRatios } from './lib/stats.mjs';
import { ENGINE_LOAD, MEASURED_WINDOWS, MEASURED_WORKLOADS } from './lib/workloads.mjs';
import { checkoutRoot, resolveCommit, withWorktree } from './lib/worktree.mjs';

const usage = 'usage: node bench/ab.mjs --base=REV [--bus=embedded|kafka] [--workload=chain10|fanout20|flaky|chain3] [--pairs=N] [--seconds=S] [--warmup=S] [--partitions=P] [--together]';
const args = new Map();
let together = false;
for (const arg of process.argv.slice(2)) {
  if (arg === '--together') {
    together = true;
    continue;
  }
  const m = /^--(base|bus|workload|pairs|seconds|warmup|partitions)=(.+)$/.exec(arg);
  if (!m) throw new Error(`ab: unknown argument ${JSON.stringify(arg)}\n${usage}`);
  args.set(m[1], m[2]);
}
const base = args.get('base');
if (base === undefined) throw new Error(`ab: --base is required\n${usage}`);
const bus = args.get('bus') ?? 'embedded';
const workload = args.get('workload') ?? 'chain10';
const pairs = Number(args.get('pairs') ?? 6);
const seconds = Number(args.get('seconds') ?? 6);
// The engine's code is still being optimized for several seconds after it starts: a longer
// warm-up measures both revisions nearer their steady state, with less spread between runs.
const warmup = Number(args.get('warmup') ?? 1);
// Unset: each revision at its bus's default partition count, as a user gets it.
const partitions = args.has('partitions') ? Number(args.get('partitions')) : undefined;
if (!['embedded', 'kafka'].includes(bus)) throw new Error(`ab: --bus must be embedded or kafka, got ${bus}`);
if (!MEASURED_WORKLOADS.includes(workload)) throw new Error(`ab: --workload must be one of ${MEASURED_WORKLOADS.join(', ')}, got ${workload}`);
if (!(Number.isInteger(pairs) && pairs >= 2 && pairs <= 20)) throw new Error(`ab: --pairs must be an integer from 2 to 20, got ${args.get('pairs')}`);
if (!(seconds >= 1 && seconds <= 60)) throw new Error(`ab: --seconds must be from 1 to 60, got ${args.get('seconds')}`);
if (!(warmup >= 0 && warmup <= 60)) throw new Error(`ab: --warmup must be from 0 to 60, got ${args.get('warmup')}`);
if (partitions !== undefined && !(Number.isInteger(partitions) && partitions >= 1 && partitions <= 64)) throw new Error(`ab: --partitions must be an integer from 1 to 64, got ${args.get('partitions')}`);

const here = checkoutRoot;
const say = (line) => process.stderr.write(`ab: ${line}\n`);
const commit = resolveCommit(base, 'ab');

const options = { bus, partitions, ...ENGINE_LOAD, window: MEASURED_WINDOWS, workloads: [workload], warmupMs: warmup * 1000, measureMs: seconds * 1000, timeoutMs: 300_000 };

/**
 * The thread groups of the CPU split (bench/lib/thread-cpu.mjs), and outside the process (Redis,
 * the local broker), which both sides share when they run together.
 */
const GROUPS = together ? ['main', 'workers', 'v8'] : ['main', 'workers', 'v8', 'outside'];

/** One saturated run of the engine phase from the checkout at `root`: steps/s, CPU µs per step, and its split by thread group where /proc has it. */
async function measure(root) {
  const saturation = await engineSaturation(options, workload, root);
  const byThread = saturation.cpuByThread;
  // Together, the process's own CPU: the broker's is both sides'.
  const cpuUsPerStep = together ? saturation.cpuUsPerStep - (byThread?.outside ?? 0) : saturation.cpuUsPerStep;
  return { stepsPerSec: saturation.stepsPerSec, cpuUsPerStep, byThread };
}

/** Both sides once: one after the other in `order`, or with --together at the same time (started in `order`). */
async function measurePair(order, worktree) {
  const rootOf = (side) => (side === 'base' ? worktree : here);
  const got = {};
  if (together) {
    const [first, second] = await Promise.all(order.map((side) => measure(rootOf(side))));
    got[order[0]] = first;
    got[order[1]] = second;
    return got;
  }
  for (const side of order) got[side] = await measure(rootOf(side));
  return got;
}

await withWorktree(base, commit, say, async (worktree) => {
  const speed = [];
  const cpu = [];
  const byGroup = new Map(GROUPS.map((g) => [g, []]));
  // The event loop's wait for a CPU, where both revisions measure it (bench/lib/thread-cpu.mjs).
  const mainWaits = [];
  for (let i = 0; i < pairs; i++) {
    // Base first in even pairs, this checkout first in odd ones.
    const order = i % 2 === 0 ? ['base', 'head'] : ['head', 'base'];
    const got = await measurePair(order, worktree);
    speed.push(got.head.stepsPerSec / got.base.stepsPerSec);
    cpu.push(got.head.cpuUsPerStep / got.base.cpuUsPerStep);
    for (const g of GROUPS) if (got.base.byThread?.[g] > 0 && got.head.byThread?.[g] >= 0) byGroup.get(g).push(got.head.byThread[g] / got.base.byThread[g]);
    if (got.base.byThread?.waited?.main > 0 && got.head.byThread?.waited?.main >= 0) mainWaits.push(got.head.byThread.waited.main / got.base.byThread.waited.main);
    const split = (r) => (r.byThread ? ` [${GROUPS.map((g) => `${g} ${r.byThread[g]}`).join(', ')}]` : '');
    say(`pair ${i + 1}/${pairs}: base ${got.base.stepsPerSec.toFixed(0)} steps/s (${got.base.cpuUsPerStep} µs/step${split(got.base)}), this ${got.head.stepsPerSec.toFixed(0)} steps/s (${got.head.cpuUsPerStep} µs/step${split(got.head)})`);
  }
  const line = (label, ratios) => `${label}: ${describeRatios(ratios)}`;
  const how = together ? `${pairs} rounds of the two at once` : `${pairs} alternated pairs`;
  process.stdout.write(`engine/${bus} ${workload}, ${partitions === undefined ? 'the default' : partitions} partitions, ${how} of ${seconds} s after ${warmup} s of warm-up, this checkout against ${base}:\n`);
  process.stdout.write(`  ${line('steps/s', speed)}\n  ${line('CPU per step', cpu)}\n`);
  const names = { main: 'the event loop', workers: 'worker threads', v8: 'V8 threads', outside: 'outside the process' };
  for (const [g, ratios] of byGroup) if (ratios.length === pairs) process.stdout.write(`    ${line(`of which ${names[g]}`, ratios)}\n`);
  if (mainWaits.length === pairs) process.stdout.write(`  ${line("the event loop's wait for a CPU per step", mainWaits)}\n`);
});
