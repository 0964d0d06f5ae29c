/**
 * The key of one partition of a topic in the transports' maps (the embedded bus's end offsets,
 * tails and waiters; a Kafka fetch's partitions, the offsets waiting to be committed; a forwarded
 * consumer's partitions): made once per partition and reused, not built anew for every record
 * written or read.
 */
const keys = new Map<string, string[]>();

export function partitionKey(topic: string, partition: number): string {
  let byPartition = keys.get(topic);
  if (byPartition === undefined) keys.set(topic, (byPartition = []));
  return (byPartition[partition] ??= `${topic}\u0000${partition}`);
}
