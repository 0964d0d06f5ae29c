import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { registerWorkflow } from './cluster-harness.js';
import type { Cluster } from './cluster-harness.js';
import { checkHistory, readEvents } from './bus-history.js';
import { WORKLOADS, WORKLOAD_NAMES, checkOutcome, fetchRuns } from './fault-load.js';
import type { Accepted, WorkloadName } from './fault-load.js';

/** Registers the fault workloads' definitions. */
export async function registerAll(cluster: Cluster, kinds: readonly WorkloadName[] = WORKLOAD_NAMES): Promise<void> {
  for (const kind of kinds) await registerWorkflow(cluster.url, kind, WORKLOADS[kind].definition);
}

/**
 * The verdict over every accepted run: its final state through the gateway is the correct one
 * for its workload, and its raw history on the bus is sound (see checkHistory).
 */
export async function assertAccepted(t: TestContext, cluster: Cluster, accepted: readonly Accepted[], label: string): Promise<{ duplicates: number }> {
  const ids = accepted.map((a) => a.runId);
  assert.equal(new Set(ids).size, ids.length, `${label}: one run per submission`);
  const runs = await fetchRuns(cluster.url, ids);
  const missing = ids.filter((id) => !runs.has(id));
  assert.deepEqual(missing.slice(0, 10), [], `${label}: every accepted run is known to the gateway (${missing.length} missing)`);
  const wrong = accepted.flatMap((a) => checkOutcome(a.kind, runs.get(a.runId)!));
  assert.deepEqual(wrong.slice(0, 10), [], `${label}: every run ended correctly (${wrong.length} problems)`);

  const events = await readEvents(cluster.options.brokers, cluster.options.prefix, ids);
  let duplicates = 0;
  const problems: string[] = [];
  for (const a of accepted) {
    const verdict = checkHistory(a.runId, events.get(a.runId) ?? []);
    duplicates += verdict.duplicates;
    problems.push(...verdict.problems);
    if (verdict.status !== WORKLOADS[a.kind].expect) problems.push(`${a.runId} (${a.kind}): the events end in ${verdict.status}`);
  }
  assert.deepEqual(problems.slice(0, 10), [], `${label}: every raw history is sound (${problems.length} problems)`);
  t.diagnostic(`${label}: ${ids.length} runs verified; ${duplicates} re-emitted event copies (same content)`);
  return { duplicates };
}
