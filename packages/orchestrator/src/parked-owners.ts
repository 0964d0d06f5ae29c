import type { Transport } from '@orchestrator-lite/transport';
import type { PartitionOwner } from './partition-owner.js';

/**
 * The partitions this member gave up in a rebalance, kept whole until the next assignment. A
 * rebalance revokes every partition of every member and hands most of them straight back. One
 * that comes back resumes as it was, instead of being restored, only when its `orch.state`
 * partition ends exactly where this owner's own writes left it (`stateEnd`): a record written by
 * anyone else, say a member that took the partition while this one had lost its session, or a
 * write of this owner that landed twice, moves the end and the partition is restored. An owner
 * whose last write was given up (`unsynced`: memory may be ahead of the bus) is never parked.
 */
export class ParkedOwners {
  readonly #parked = new Map<number, PartitionOwner>();

  constructor(
    private readonly transport: Pick<Transport, 'endOffsets'>,
    private readonly stateTopic: string,
  ) {}

  park(owners: PartitionOwner[]): void {
    for (const owner of owners) if (!owner.unsynced && owner.stateEnd !== undefined) this.#parked.set(owner.partition, owner);
  }

  /**
   * The parked owners of these partitions whose orch.state ends where their own writes left it,
   * ready to resume; every other parked owner is dropped.
   */
  async take(partitions: number[]): Promise<Map<number, PartitionOwner>> {
    const resumed = new Map<number, PartitionOwner>();
    const candidates = partitions.filter((p) => this.#parked.has(p));
    const ends = candidates.length === 0 ? undefined : await this.#ends();
    for (const partition of candidates) {
      const owner = this.#parked.get(partition)!;
      if (ends?.[partition] !== owner.stateEnd) continue;
      owner.revoked = false;
      resumed.set(partition, owner);
    }
    this.#parked.clear();
    return resumed;
  }

  get size(): number {
    return this.#parked.size;
  }

  async #ends(): Promise<number[] | undefined> {
    try {
      return await this.transport.endOffsets(this.stateTopic);
    } catch {
      return undefined; // a bus that cannot answer: restore from orch.state as usual
    }
  }
}
