#!/usr/bin/env node
/**
 * The CPU of a step's pure work, with no bus, no thread and no I/O: what each role computes for
 * one step of a 10-step chain, in one loop, so that a change to the codec, the reducer or the
 * snapshot shows as a stable figure (the engine phase moves by 15–30% from run to run on a small
 * virtual machine; this moves by a few percent).
 *
 *   node bench/step-cpu.mjs [--runs=2000] [--rounds=7]
 *
 * Per step: the worker decodes its task and encodes its result; the orchestrator decodes the
 * result, reduces it, encodes the events and the next task, and writes the snapshot's records;
 * the gateway decodes the events and folds them into the run's view. Prints the median of the
 * rounds, in µs per step, for each stage and in all.
 */
import { applyEvent, decodeDispatch, decodeEvent, decodeRunInput, encodeMessage, reduceRun, snapshotWrites, withStateLayout } from '@orchestrator-lite/core';
import { CHAIN_LENGTH } from './lib/workloads.mjs';

const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const runs = arg('runs', 2000);
const rounds = arg('rounds', 7);
if (!(Number.isInteger(runs) && runs >= 10 && runs <= 100_000)) throw new Error(`step-cpu: --runs must be an integer from 10 to 100000, got ${runs}`);
if (!(Number.isInteger(rounds) && rounds >= 3 && rounds <= 51)) throw new Error(`step-cpu: --rounds must be an integer from 3 to 51, got ${rounds}`);

const definition = {
  name: 'step-cpu-chain',
  steps: Array.from({ length: CHAIN_LENGTH }, (_, i) => ({ id: `s${i}`, task: 'bench.noop', ...(i === 0 ? {} : { dependsOn: [`s${i - 1}`] }) })),
};
const DIGEST = 'step-cpu-digest';
const STAGES = ['worker', 'orchestrator.decode', 'orchestrator.reduce', 'orchestrator.encode', 'orchestrator.snapshot', 'gateway'];

/** One run end to end; adds each stage's time (ns) to `spent`; returns the steps it took. */
function runOnce(n, spent) {
  let now = 1_700_000_000_000 + n * 1000;
  const ctx = () => ({ now: now++, random: () => 0.5 });
  const runId = `run-${n}`;
  let view;
  let written;
  const fold = (events) => {
    for (const bytes of events) view = applyEvent(view, decodeEvent(bytes));
  };
  let result = reduceRun(undefined, { v: 1, type: 'StartRun', runId, workflow: definition.name, version: 1, definition, input: { n }, at: now }, ctx());
  let state = result.state;
  ({ layout: written } = snapshotWrites(undefined, state, DIGEST));
  state = withStateLayout(state, written);
  fold(result.events.map(encodeMessage));
  let steps = 0;
  while (result.tasks.length > 0) {
    let t = process.hrtime.bigint();
    const lap = (stage) => {
      const t2 = process.hrtime.bigint();
      spent[stage] += t2 - t;
      t = t2;
    };
    // The worker: its task in, its result out.
    const task = decodeDispatch(encodeMessage(result.tasks[0]));
    const resultBytes = encodeMessage({ v: 1, type: 'TaskCompleted', runId, stepId: task.stepId, attempt: task.attempt, workerId: 'w1', at: now, startedAt: now, output: { ok: true, n } });
    lap('worker');
    // The orchestrator: decode, reduce, encode the outputs, write the snapshot.
    const input = decodeRunInput(resultBytes);
    lap('orchestrator.decode');
    result = reduceRun(state, input, ctx());
    lap('orchestrator.reduce');
    const events = result.events.map(encodeMessage);
    for (const next of result.tasks) encodeMessage(next);
    lap('orchestrator.encode');
    const { writes, layout } = snapshotWrites(state, result.state, DIGEST);
    for (const w of writes) if (w.value !== null) encodeMessage(w.value);
    state = withStateLayout(result.state, layout);
    lap('orchestrator.snapshot');
    // The gateway: the events into the run's view.
    fold(events);
    lap('gateway');
    steps++;
  }
  if (view?.status !== 'SUCCEEDED') throw new Error(`step-cpu: run ${runId} ended ${view?.status}, not SUCCEEDED`);
  return steps;
}

function round() {
  const spent = Object.fromEntries(STAGES.map((s) => [s, 0n]));
  let steps = 0;
  for (let n = 0; n < runs; n++) steps += runOnce(n, spent);
  return Object.fromEntries(STAGES.map((s) => [s, Number(spent[s]) / 1000 / steps]));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
process.stderr.write(`step-cpu: ${rounds} rounds of ${runs} runs of ${CHAIN_LENGTH} steps (the first round warms up and is dropped)\n`);
round();
const results = [];
for (let i = 0; i < rounds; i++) {
  results.push(round());
  process.stderr.write(`  round ${i + 1}/${rounds}\n`);
}
let total = 0;
for (const stage of STAGES) {
  const m = median(results.map((r) => r[stage]));
  total += m;
  process.stdout.write(`${stage.padEnd(24)} ${m.toFixed(2).padStart(8)} µs/step\n`);
}
const totals = results.map((r) => STAGES.reduce((n, s) => n + r[s], 0));
process.stdout.write(`${'all'.padEnd(24)} ${total.toFixed(2).padStart(8)} µs/step (rounds: ${Math.min(...totals).toFixed(1)}–${Math.max(...totals).toFixed(1)})\n`);
