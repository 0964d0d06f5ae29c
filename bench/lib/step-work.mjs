/**
 * The CPU of a chain step's pure work, with no bus, no thread and no I/O (see `bench/step-cpu.mjs`):
 * what each role computes for one step of a 10-step chain, timed stage by stage.
 */
import { applyEvent, decodeDispatch, decodeEvent, decodeRunInput, encodeMessage, reduceRun, snapshotWrites, withStateLayout } from '@orchestrator-lite/core';
import { CHAIN_LENGTH } from './workloads.mjs';

const definition = {
  name: 'step-cpu-chain',
  steps: Array.from({ length: CHAIN_LENGTH }, (_, i) => ({ id: `s${i}`, task: 'bench.noop', ...(i === 0 ? {} : { dependsOn: [`s${i - 1}`] }) })),
};
const DIGEST = 'step-cpu-digest';
export const STAGES = ['worker', 'orchestrator.decode', 'orchestrator.reduce', 'orchestrator.encode', 'orchestrator.snapshot', 'gateway'];

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

/** One round of `runs` runs: µs per step of each stage. */
function stepCpuRound(runs) {
  const spent = Object.fromEntries(STAGES.map((s) => [s, 0n]));
  let steps = 0;
  for (let n = 0; n < runs; n++) steps += runOnce(n, spent);
  return Object.fromEntries(STAGES.map((s) => [s, Number(spent[s]) / 1000 / steps]));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * `rounds` rounds of `runs` runs after one that warms up: the median of the rounds per stage and
 * their sum (`all`), in µs per step, and each round's sum. `onRound` hears each round's end.
 */
export function measureStepCpu({ runs, rounds, onRound = () => undefined }) {
  stepCpuRound(runs);
  const results = [];
  for (let i = 0; i < rounds; i++) {
    results.push(stepCpuRound(runs));
    onRound(i + 1);
  }
  const stages = Object.fromEntries(STAGES.map((stage) => [stage, median(results.map((r) => r[stage]))]));
  const all = STAGES.reduce((n, s) => n + stages[s], 0);
  return { stages, all, rounds: results.map((r) => STAGES.reduce((n, s) => n + r[s], 0)) };
}
