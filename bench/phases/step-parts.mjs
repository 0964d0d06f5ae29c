/**
 * What the parts of a chain step cost, each alone, with no bus, no thread and no I/O: the engine's
 * own logic (the worker's codec, the orchestrator's decode, reduce, encode and snapshot records;
 * `bench/step-cpu.mjs`) and the gateway's SQLite read store writing the step's events as it batches
 * them at saturation (`bench/read-store-write.mjs`). The report adds, per bus, the records a step
 * writes at the CPU per record of the bus's own round trip, and sets the sum beside what a step
 * cost and the target: the least a step can cost the machine as the engine is built.
 */
import { SqliteReadStore } from '@orchestrator-lite/gateway';
import { measureStore } from '../lib/read-store-work.mjs';
import { measureStepCpu } from '../lib/step-work.mjs';
import { CHAIN_LENGTH } from '../lib/workloads.mjs';

export async function run(o) {
  const logic = measureStepCpu({ runs: o.logicRuns, rounds: o.rounds });
  const store = await measureStore(SqliteReadStore, { runs: o.storeRuns, rounds: o.rounds, steps: CHAIN_LENGTH, ids: 'generated' });
  const round = (n) => Math.round(n * 10) / 10;
  return {
    workload: 'chain10',
    rounds: o.rounds,
    logicUsPerStep: round(logic.all),
    logicStages: Object.fromEntries(Object.entries(logic.stages).map(([stage, us]) => [stage, round(us)])),
    storeUsPerEvent: round(store.usPerEvent),
    eventsPerStep: Math.round(store.eventsPerStep * 100) / 100,
  };
}
