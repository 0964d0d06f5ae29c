import type { TopicPartition } from '../types.js';

export interface AssignorMember {
  memberId: string;
  topics: readonly string[];
}

/**
 * Kafka's RANGE assignment: per topic, the members subscribed to it sorted by id each take a
 * contiguous range of partitions, the first `partitions % members` one more. Topics with the
 * same partition count and the same subscribers therefore give partition p to the same member,
 * which is what co-partitioning relies on.
 */
export function rangeAssign(members: readonly AssignorMember[], partitionCount: (topic: string) => number): Map<string, TopicPartition[]> {
  const plan = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]));
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const subscribers = members.filter((m) => m.topics.includes(topic)).map((m) => m.memberId).sort();
    const n = partitionCount(topic);
    const base = Math.floor(n / subscribers.length);
    const extra = n % subscribers.length;
    let next = 0;
    subscribers.forEach((memberId, i) => {
      const count = base + (i < extra ? 1 : 0);
      const owned = plan.get(memberId) as TopicPartition[];
      for (let p = next; p < next + count; p++) owned.push({ topic, partition: p });
      next += count;
    });
  }
  return plan;
}
