/**
 * One phase of the bench in a fresh process (`bench/lib/child.mjs` of a checkout): for `run.mjs`
 * (every phase once), and for the tools that compare runs of one: `ab.mjs` (two revisions) and
 * `partitions.mjs` (two partition counts).
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { SEMI_SPACE_FLAG } from '@orchestrator-lite/transport';
import { checkoutRoot } from './worktree.mjs';

/**
 * The phases that measure a peer or a baseline (BullMQ, the Kafka client alone, Kafka's own tool,
 * and our transport's round trip beside the client alone) run with Node's defaults; the others run
 * the engine as the `orch` command starts it, with its young generation (SEMI_SPACE_MB in the
 * transport package).
 */
const BASELINE_PHASES = new Set(['bullmq', 'client-alone', 'kafka-floor', 'broker-warmup', 'raw-roundtrip']);

/** The Node flags a phase's process starts with (see BASELINE_PHASES). */
export function phaseFlags(phase) {
  return BASELINE_PHASES.has(phase) ? [] : [SEMI_SPACE_FLAG];
}

/**
 * Runs `phase` with `options` from the checkout at `root`; resolves with its result, or rejects
 * with why it failed (the phase's own error, or its exit code). `childOptions` sets the child's
 * `execArgv` and `env`, and whether its standard output is shown (`stdout: 'inherit'`).
 */
export function runPhaseProcess(phase, options, root = checkoutRoot, childOptions = {}) {
  const { env, stdout = 'ignore' } = childOptions;
  const execArgv = [...phaseFlags(phase), ...(childOptions.execArgv ?? [])];
  return new Promise((resolve, reject) => {
    const child = fork(join(root, 'bench/lib/child.mjs'), [phase, JSON.stringify(options)], { cwd: root, execArgv, ...(env === undefined ? {} : { env }), stdio: ['ignore', stdout, 'inherit', 'ipc'] });
    let message;
    child.on('message', (m) => (message = m));
    child.on('exit', (code) => (message?.ok ? resolve(message.result) : reject(new Error(`the ${phase} phase in ${root} failed: ${message?.error ?? `exit code ${code}`}`))));
  });
}

/** The engine phase's saturation of `workload` (steps/s, CPU per step and its split by thread); rejects when it made no steps. */
export async function engineSaturation(options, workload, root = checkoutRoot) {
  const result = await runPhaseProcess('engine', options, root);
  const saturation = result.workloads?.[workload]?.saturation;
  if (!(saturation?.stepsPerSec > 0)) throw new Error(`the engine phase in ${root} made no steps of ${workload}: ${result.workloads?.[workload]?.error ?? 'no result'}`);
  return saturation;
}
