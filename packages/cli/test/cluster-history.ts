import { decodeEvent, decodeRunInput, reportsStart, topicNames } from '@orchestrator-lite/core';
import type { RunEvent } from '@orchestrator-lite/core';
import { createKafkaTransport } from '@orchestrator-lite/transport';
import { copiesBySeq } from '@orchestrator-lite/testing';
import { json } from './helpers.js';

/**
 * What the bus itself holds for a set of runs, read outside any consumer group: the raw
 * `events` topic (duplicates included, as a crash between produce and snapshot may leave them)
 * and the workers' reports of starting an attempt (`TaskStarted`, or a short attempt's result). The checks below run on this raw record, not on a
 * read model that would hide a duplicate.
 */
export interface BusHistory {
  /** runId → every event record of the run, in log order. */
  events: Map<string, RunEvent[]>;
  /** `runId:stepId#attempt` → how many times a worker reported the attempt started. */
  starts: Map<string, number>;
}

export async function readBusHistory(brokers: string[], prefix: string, runIds: Iterable<string>): Promise<BusHistory> {
  const wanted = new Set(runIds);
  const names = topicNames(prefix);
  const transport = createKafkaTransport({ brokers, clientId: 'cluster-test-reader' });
  const events = new Map<string, RunEvent[]>();
  const starts = new Map<string, number>();
  try {
    for (let p = 0; p < (await transport.partitionCount(names.events)); p++) {
      for await (const batch of transport.readPartition(names.events, p)) {
        for (const record of batch) {
          if (!wanted.has(record.key)) continue;
          const event = decodeEvent(record.value);
          const list = events.get(event.runId) ?? [];
          list.push(event);
          events.set(event.runId, list);
        }
      }
    }
    for (let p = 0; p < (await transport.partitionCount(names.results)); p++) {
      for await (const batch of transport.readPartition(names.results, p)) {
        for (const record of batch) {
          if (!wanted.has(record.key)) continue;
          const input = decodeRunInput(record.value);
          if (!reportsStart(input)) continue;
          const key = `${input.runId}:${input.stepId}#${input.attempt}`;
          starts.set(key, (starts.get(key) ?? 0) + 1);
        }
      }
    }
  } finally {
    await transport.close();
  }
  return { events, starts };
}

/**
 * The invariants of one run's raw history; returns the problems found (empty when sound):
 * - seq runs 1..n without a gap;
 * - every copy of one seq is the same event (`eventContent`: all of it but a retry's due time and
 *   a reported start): a re-emitted event may repeat, but two different events never share a
 *   number;
 * - each step succeeded exactly once, in exactly one attempt, and the run succeeded once.
 */
export function checkRunHistory(runId: string, events: RunEvent[], steps: readonly string[]): string[] {
  const { first: bySeq, differing } = copiesBySeq(events);
  const problems = differing.map((line) => `${runId}: ${line}`);
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  if (seqs.length === 0 || seqs[0] !== 1 || seqs.at(-1) !== seqs.length) {
    problems.push(`${runId}: seq is not 1..n: ${seqs.slice(0, 5).join(',')}…${seqs.slice(-5).join(',')} (${seqs.length} distinct)`);
  }
  const distinct = seqs.map((s) => bySeq.get(s)!);
  for (const step of steps) {
    const succeeded = distinct.filter((e) => e.type === 'StepSucceeded' && (e.data as { stepId: string }).stepId === step);
    if (succeeded.length !== 1) problems.push(`${runId}: step ${step} succeeded ${succeeded.length} times`);
  }
  const runSucceeded = distinct.filter((e) => e.type === 'RunSucceeded').length;
  if (runSucceeded !== 1) problems.push(`${runId}: RunSucceeded ${runSucceeded} times`);
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
