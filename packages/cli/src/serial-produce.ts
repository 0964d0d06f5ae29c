import type { Consumer, OffsetCommit, ProduceRecord, RecordMetadata, SubscribeOptions, Transport } from '@orchestrator-lite/transport';

/** Bytes of record values above which queued produce calls are no longer merged into one send. */
const MERGE_LIMIT_BYTES = 512 * 1024;

interface Pending {
  records: ProduceRecord[];
  bytes: number;
  resolve(metadata: RecordMetadata[]): void;
  reject(error: unknown): void;
}

/**
 * Keeps at most one `produce` in flight on a transport, merging the calls that queue up meanwhile
 * into the next send, and routes the records of `commit(offsets, produce)` through the same queue.
 *
 * Why: the idempotent producer of @platformatic/kafka 1.x advances a partition's sequence number
 * only when a send's response arrives, so two sends in flight to one partition carry the same
 * sequence. The broker takes the second for a retry of the first and acknowledges it without
 * writing it: the record is lost while its caller sees success. One send at a time keeps the
 * sequences right; merging keeps the throughput of concurrent callers.
 *
 * A commit with records was "produce, then commit the offsets" on Kafka already (at-least-once),
 * so doing the two steps here changes nothing but the queue the records take.
 */
export function withSerialProduce(inner: Transport): Transport {
  const queue: Pending[] = [];
  let sending = false;

  function pump(): void {
    if (sending || queue.length === 0) return;
    const batch: Pending[] = [];
    let bytes = 0;
    while (queue.length > 0 && (batch.length === 0 || bytes + queue[0]!.bytes <= MERGE_LIMIT_BYTES)) {
      const next = queue.shift()!;
      bytes += next.bytes;
      batch.push(next);
    }
    sending = true;
    inner.produce(batch.flatMap((p) => p.records)).then(
      (metadata) => {
        let at = 0;
        for (const p of batch) {
          p.resolve(metadata.slice(at, at + p.records.length));
          at += p.records.length;
        }
      },
      (error: unknown) => {
        for (const p of batch) p.reject(error);
      },
    ).finally(() => {
      sending = false;
      pump();
    });
  }

  function produce(records: ProduceRecord[]): Promise<RecordMetadata[]> {
    if (records.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const bytes = records.reduce((n, r) => n + (r.value?.length ?? 0) + r.key.length, 0);
      queue.push({ records, bytes, resolve, reject });
      pump();
    });
  }

  function wrapConsumer(consumer: Consumer): Consumer {
    return {
      groupId: consumer.groupId,
      assignments: () => consumer.assignments(),
      commit: async (offsets: OffsetCommit[], records?: ProduceRecord[]) => {
        if (records && records.length > 0) await produce(records);
        await consumer.commit(offsets);
      },
      close: () => consumer.close(),
    };
  }

  return {
    kind: inner.kind,
    ensureTopics: (specs) => inner.ensureTopics(specs),
    partitionCount: (topic) => inner.partitionCount(topic),
    produce,
    subscribe: async (options: SubscribeOptions) => wrapConsumer(await inner.subscribe(options)),
    readPartition: (topic, partition, options) => inner.readPartition(topic, partition, options),
    endOffsets: (topic) => inner.endOffsets(topic),
    committedOffsets: (groupId, topic) => inner.committedOffsets(groupId, topic),
    close: () => inner.close(),
  };
}
