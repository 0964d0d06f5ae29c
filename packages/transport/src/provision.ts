import type { TopicNames } from '@orchestrator-lite/core';
import type { TopicSpec, Transport } from './types.js';

/** The default partition count of the co-partitioned topics. */
export const DEFAULT_PARTITIONS = 6;

/**
 * The topics of one deployment. `commands`, `results`, `state` and `events` are co-partitioned:
 * same count, keyed by runId, so the owner of partition p owns every run hashed to p.
 */
export function orchestratorTopicSpecs(names: TopicNames, partitions: number = DEFAULT_PARTITIONS): TopicSpec[] {
  return [
    { name: names.commands, partitions },
    { name: names.results, partitions },
    { name: names.state, partitions, compacted: true },
    { name: names.events, partitions },
    { name: names.definitions, partitions: 1, compacted: true },
    { name: names.control, partitions: 1 },
    { name: names.dlq, partitions: 1 },
    { name: names.schedules, partitions, compacted: true },
    { name: names.payloads, partitions, compacted: true },
  ];
}

/** Creates what is missing; fails with a clear error when an existing topic's partition count differs. */
export async function provisionTopics(
  transport: Transport,
  names: TopicNames,
  options: { partitions?: number; queues?: string[] } = {},
): Promise<void> {
  const partitions = options.partitions ?? DEFAULT_PARTITIONS;
  const specs = orchestratorTopicSpecs(names, partitions);
  for (const queue of options.queues ?? []) specs.push({ name: names.tasks(queue), partitions });
  await transport.ensureTopics(specs);
  await checkCoPartitioned(transport, [names.commands, names.results, names.state, names.events]);
}

/**
 * The owner of partition p must see every input and snapshot of the runs hashed to p, so these
 * topics need one partition count. A cluster provisioned by hand can break that: refuse to start.
 */
export async function checkCoPartitioned(transport: Transport, topics: string[]): Promise<void> {
  const counts = await Promise.all(topics.map(async (topic) => [topic, await transport.partitionCount(topic)] as const));
  if (new Set(counts.map(([, n]) => n)).size > 1) {
    throw new Error(`topics are not co-partitioned (same partition count needed): ${counts.map(([t, n]) => `${t}=${n}`).join(', ')}`);
  }
}
