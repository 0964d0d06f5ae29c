import { decodeRunInput, reportsStart, topicNames } from '@orchestrator-lite/core';
import type { RunEvent } from '@orchestrator-lite/core';
import { checkHistory, readEvents, readTopic } from './bus-history.js';
import { json } from './helpers.js';

/**
 * What the bus itself holds for a set of runs that must succeed, read outside any consumer group:
 * the raw `events` topic (duplicates included) and the workers' reports of starting an attempt
 * (`TaskStarted`, or a short attempt's result). The checks below run on this raw record, not on
 * a read model that would hide a duplicate.
 */
export interface BusHistory {
  /** runId → every event record of the run, in log order. */
  events: Map<string, RunEvent[]>;
  /** `runId:stepId#attempt` → how many times a worker reported the attempt started. */
  starts: Map<string, number>;
}

export async function readBusHistory(brokers: string[], prefix: string, runIds: Iterable<string>): Promise<BusHistory> {
  const wanted = new Set(runIds);
  const events = await readEvents(brokers, prefix, wanted);
  const starts = new Map<string, number>();
  for (const record of await readTopic(brokers, topicNames(prefix).results)) {
    if (!wanted.has(record.key)) continue;
    const input = decodeRunInput(record.value);
    if (!reportsStart(input)) continue;
    const key = `${input.runId}:${input.stepId}#${input.attempt}`;
    starts.set(key, (starts.get(key) ?? 0) + 1);
  }
  return { events, starts };
}

/**
 * The invariants of the raw history of a run that must succeed; returns the problems found (empty
 * when sound): those of any run (bus-history.ts's `checkHistory`: seq 1..n without a gap, every
 * copy of one seq the same event, no step succeeded twice, nothing after the end), and besides,
 * each of `steps` succeeded and the run ended in success.
 */
export function checkRunHistory(runId: string, events: RunEvent[], steps: readonly string[]): string[] {
  const { problems, status } = checkHistory(runId, events);
  const succeeded = new Set(events.filter((e) => e.type === 'StepSucceeded').map((e) => (e.data as { stepId: string }).stepId));
  for (const step of steps) if (!succeeded.has(step)) problems.push(`${runId}: step ${step} never succeeded`);
  if (status !== 'SUCCEEDED') problems.push(`${runId}: the run ended ${status ?? 'nowhere'}, not SUCCEEDED`);
  return problems;
}

/** The same checks on the gateway's view (GET /runs/{id}/events), `parallel` requests at a time. */
export async function checkGatewayHistories(url: string, runIds: string[], steps: readonly string[], parallel = 8): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < runIds.length) {
      const runId = runIds[next++]!;
      const { status, body } = await json<{ items: { seq: number; type: string; data: unknown }[] }>(`${url}/api/v1/runs/${runId}/events?since=0`);
      if (status !== 200) {
        problems.push(`${runId}: GET events answered ${status}`);
        continue;
      }
      const events = body.items.map((e) => ({ ...e, runId, at: 0 }) as RunEvent);
      const seqs = events.map((e) => e.seq);
      if (seqs.some((s, i) => s !== i + 1)) problems.push(`${runId}: the gateway's seq is not 1..n in order`);
      problems.push(...checkRunHistory(runId, events, steps));
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return problems;
}
