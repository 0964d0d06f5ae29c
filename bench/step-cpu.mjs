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
import { measureStepCpu, STAGES } from './lib/step-work.mjs';
import { CHAIN_LENGTH } from './lib/workloads.mjs';

const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const runs = arg('runs', 2000);
const rounds = arg('rounds', 7);
if (!(Number.isInteger(runs) && runs >= 10 && runs <= 100_000)) throw new Error(`step-cpu: --runs must be an integer from 10 to 100000, got ${runs}`);
if (!(Number.isInteger(rounds) && rounds >= 3 && rounds <= 51)) throw new Error(`step-cpu: --rounds must be an integer from 3 to 51, got ${rounds}`);

process.stderr.write(`step-cpu: ${rounds} rounds of ${runs} runs of ${CHAIN_LENGTH} steps (the first round warms up and is dropped)\n`);
const { stages, all, rounds: totals } = measureStepCpu({ runs, rounds, onRound: (i) => process.stderr.write(`  round ${i}/${rounds}\n`) });
for (const stage of STAGES) process.stdout.write(`${stage.padEnd(24)} ${stages[stage].toFixed(2).padStart(8)} µs/step\n`);
process.stdout.write(`${'all'.padEnd(24)} ${all.toFixed(2).padStart(8)} µs/step (rounds: ${Math.min(...totals).toFixed(1)}–${Math.max(...totals).toFixed(1)})\n`);
