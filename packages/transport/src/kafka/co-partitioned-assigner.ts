import type { ClusterMetadata, ExtendedGroupProtocolSubscription, GroupAssignment, GroupPartitionsAssignments } from '@platformatic/kafka';

/**
 * A range assignor. The client's default assigner is round-robin across all topic-partitions, which
 * can give partition p of `commands` and partition p of `state` to different members. The contract
 * needs co-partitioned topics to move together, so, as Kafka's RangeAssignor does, each topic's
 * partitions are split into contiguous ranges over the members subscribed to it, sorted by member
 * id: topics with the same partition count and the same members get identical ranges.
 */
export function coPartitionedAssigner(
  _current: string,
  members: Map<string, ExtendedGroupProtocolSubscription>,
  topics: Set<string>,
  metadata: ClusterMetadata,
): GroupPartitionsAssignments[] {
  const memberIds = [...members.keys()].sort();
  const result = new Map<string, Map<string, GroupAssignment>>(memberIds.map((id) => [id, new Map()]));
  const allTopics = new Set(topics);
  for (const member of members.values()) for (const topic of member.topics ?? []) allTopics.add(topic);

  for (const topic of [...allTopics].sort()) {
    const count = metadata.topics.get(topic)?.partitionsCount;
    if (count === undefined) continue;
    const subscribed = memberIds.filter((id) => members.get(id)?.topics?.includes(topic) ?? false);
    const owners = subscribed.length > 0 ? subscribed : memberIds;
    const per = Math.floor(count / owners.length);
    const extra = count % owners.length;
    let next = 0;
    owners.forEach((memberId, i) => {
      const size = per + (i < extra ? 1 : 0);
      if (size === 0) return;
      const partitions = Array.from({ length: size }, (_, k) => next + k);
      next += size;
      result.get(memberId)?.set(topic, { topic, partitions });
    });
  }
  return memberIds.map((memberId) => ({ memberId, assignments: result.get(memberId) ?? new Map() }));
}
