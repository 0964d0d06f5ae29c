/**
 * The key of one partition of a topic in the embedded bus's maps (its end offset, its tail, its
 * waiters): made once per partition and reused, not built anew for every record written or read.
 */
const keys = new Map<string, string[]>();

export function partitionKey(topic: string, partition: number): string {
  let byPartition = keys.get(topic);
  if (byPartition === undefined) keys.set(topic, (byPartition = []));
  return (byPartition[partition] ??= `${topic}\u0000${partition}`);
}
