/** The topics the gateway reads and writes, created if missing. */
import type { TopicNames } from '@orchestrator-lite/core';
import type { TopicSpec, Transport } from '@orchestrator-lite/transport';

/**
 * `commands`, `results`, `state` and `events` are co-partitioned (same count, keyed by runId);
 * `definitions`, `control` and `dlq` have one partition (as the transport's shared provisioning does).
 */
export function gatewayTopicSpecs(names: TopicNames, partitions: number): TopicSpec[] {
  return [
    { name: names.commands, partitions },
    { name: names.results, partitions },
    { name: names.state, partitions, compacted: true },
    { name: names.events, partitions },
    { name: names.definitions, partitions: 1, compacted: true },
    { name: names.control, partitions: 1 },
    { name: names.dlq, partitions: 1 },
  ];
}

export async function provisionGatewayTopics(transport: Transport, names: TopicNames, partitions: number): Promise<void> {
  await transport.ensureTopics(gatewayTopicSpecs(names, partitions));
}
