/**
 * The three workloads, as engine definitions and as the shape the BullMQ peer mirrors:
 * - chain10: ten steps in a row;
 * - fanout20: one step fans out to twenty, which a last step joins (22 steps);
 * - flaky: a step that fails its first attempt and is retried after 1 ms, between two others (4 attempts).
 * And one outside the full bench's list: chain3, three steps in a row, which `bench/run-cost.mjs`
 * sets beside chain10 to split what a run costs from what its steps do.
 */
export const CHAIN_LENGTH = 10;
/** The short chain's steps. */
export const SHORT_CHAIN_LENGTH = 3;
/** The steps of each chain workload. */
export const CHAIN_LENGTHS = { chain10: CHAIN_LENGTH, chain3: SHORT_CHAIN_LENGTH };
export const FAN_WIDTH = 20;

export const TASK = 'bench.noop';
export const FLAKY_TASK = 'bench.flaky';
export const RETRY_DELAY_MS = 1;

/** Attempts each run executes (handler invocations), used for steps/s. */
export const ATTEMPTS_PER_RUN = { chain10: CHAIN_LENGTH, chain3: SHORT_CHAIN_LENGTH, fanout20: FAN_WIDTH + 2, flaky: 4 };
/** Successful steps per run. */
export const STEPS_PER_RUN = { chain10: CHAIN_LENGTH, chain3: SHORT_CHAIN_LENGTH, fanout20: FAN_WIDTH + 2, flaky: 3 };

export const WORKLOADS = ['chain10', 'fanout20', 'flaky'];

/**
 * How the engine phase loads the engine, in the full bench and in the scripts that measure one
 * workload of it (profile.mjs, ab.mjs): worker concurrency, runs in flight at saturation per
 * workload, and the fixed load as a fraction of the saturated run rate.
 */
export const ENGINE_LOAD = { concurrency: 32, window: { chain10: 64, fanout20: 8, flaky: 64 }, loadFraction: 0.5 };

/** The workloads the scripts that measure one workload accept (ab.mjs, run-cost.mjs): the bench's and the short chain. */
export const MEASURED_WORKLOADS = [...WORKLOADS, 'chain3'];
/** Their runs in flight at saturation: the short chain's as chain10's. */
export const MEASURED_WINDOWS = { ...ENGINE_LOAD.window, chain3: ENGINE_LOAD.window.chain10 };

/**
 * The full bench's throughput curve: after the saturation at the window above, closed loops at
 * these multiples of it, for the engine (one process) and BullMQ alike.
 */
export const CURVE_FACTORS = [2, 4];

/** The no-op handler: returns a tiny output. The flaky one fails attempt 1 of each run. */
export const noop = (input) => ({ ok: true, n: typeof input === 'object' && input !== null ? (input.n ?? 0) : 0 });
export const flakyHandler = (attempt) => {
  if (attempt <= 1) throw new Error('bench.flaky: the first attempt fails on purpose');
  return { ok: true, attempt };
};

/** A chain of `length` steps in a row. */
function chainDefinition(name, length) {
  return {
    name,
    steps: Array.from({ length }, (_, i) => ({
      id: `s${i + 1}`,
      task: TASK,
      ...(i > 0 ? { dependsOn: [`s${i}`] } : {}),
      input: { n: i + 1 },
    })),
  };
}

export function engineDefinitions(prefix) {
  const chain = chainDefinition(`${prefix}chain10`, CHAIN_LENGTH);
  const fan = {
    name: `${prefix}fanout20`,
    steps: [
      { id: 'split', task: TASK, input: { n: 0 } },
      ...Array.from({ length: FAN_WIDTH }, (_, i) => ({ id: `w${i + 1}`, task: TASK, dependsOn: ['split'], input: { n: i + 1 } })),
      { id: 'join', task: TASK, dependsOn: Array.from({ length: FAN_WIDTH }, (_, i) => `w${i + 1}`), input: { n: 99 } },
    ],
  };
  const flaky = {
    name: `${prefix}flaky`,
    steps: [
      { id: 'before', task: TASK, input: { n: 1 } },
      {
        id: 'flaky',
        task: FLAKY_TASK,
        dependsOn: ['before'],
        retry: { maxAttempts: 3, initialIntervalMs: RETRY_DELAY_MS, backoffCoefficient: 1, jitter: 'none' },
      },
      { id: 'after', task: TASK, dependsOn: ['flaky'], input: { n: 3 } },
    ],
  };
  return { chain10: chain, chain3: chainDefinition(`${prefix}chain3`, SHORT_CHAIN_LENGTH), fanout20: fan, flaky };
}

/** For each workload: the steps that follow a given step (task-to-next-task pairs). */
export function successors(definition) {
  const next = new Map();
  for (const step of definition.steps) {
    for (const dep of step.dependsOn ?? []) {
      if (!next.has(dep)) next.set(dep, []);
      next.get(dep).push(step.id);
    }
  }
  return next;
}
