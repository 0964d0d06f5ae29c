import type { TopicNames } from '@orchestrator-lite/core';
import { TransportError, TransportErrorReason } from './embedded/errors.js';
import type { TopicSpec, Transport } from './types.js';

/** The default partition count of the co-partitioned topics on Kafka. */
export const DEFAULT_PARTITIONS = 6;

/**
 * The default on the embedded bus. It is one process with one writer, so partitions buy it no
 * parallelism, and each costs batches, thread messages and index pages of its own: measured on
 * 2 cores, a 10-step chain took about a quarter less CPU per step with one partition than with six.
 */
export const EMBEDDED_DEFAULT_PARTITIONS = 1;

/**
 * The partition count a role uses when it is given none. On Kafka, DEFAULT_PARTITIONS. On the
 * embedded bus, that of the deployment's commands topic when it exists (a data directory made
 * with another count keeps it), else EMBEDDED_DEFAULT_PARTITIONS.
 */
export async function defaultPartitions(transport: Transport, names: TopicNames): Promise<number> {
  if (transport.kind !== 'embedded') return DEFAULT_PARTITIONS;
  try {
    return await transport.partitionCount(names.commands);
  } catch (error) {
    if (error instanceof TransportError && error.reason === TransportErrorReason.UnknownTopic) return EMBEDDED_DEFAULT_PARTITIONS;
    throw error;
  }
}

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

/**
 * Creates what is missing, with `partitions` or else `defaultPartitions`; fails with a clear error
 * when an existing topic's partition count differs. Resolves the partition count it used.
 */
export async function provisionTopics(
  transport: Transport,
  names: TopicNames,
  options: { partitions?: number | undefined; queues?: string[] } = {},
): Promise<number> {
  const partitions = options.partitions ?? (await defaultPartitions(transport, names));
  const specs = orchestratorTopicSpecs(names, partitions);
  for (const queue of options.queues ?? []) specs.push({ name: names.tasks(queue), partitions });
  await transport.ensureTopics(specs);
  await checkCoPartitioned(transport, [names.commands, names.results, names.state, names.events]);
  return partitions;
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
