import type { Transport } from '@orchestrator-lite/transport';
import type { PartitionOwner } from './partition-owner.js';

/**
 * The partitions this member gave up in a rebalance, kept whole until the next assignment. A
 * rebalance revokes every partition of every member and hands most of them straight back; a
 * partition that comes back, and whose `orch.state` partition has not grown meanwhile (no other
 * owner wrote to it), resumes as it was instead of being restored. One whose last write did not
 * land (`unsynced`: memory ahead of the bus) is never parked.
 */
export class ParkedOwners {
  readonly #parked = new Map<number, { owner: PartitionOwner; stateEnd: number }>();

  constructor(
    private readonly transport: Pick<Transport, 'endOffsets'>,
    private readonly stateTopic: string,
  ) {}

  /** Parks owners that gave up their partition in sync with the bus; false when the bus cannot say where orch.state ends. */
  async park(owners: PartitionOwner[]): Promise<boolean> {
    const synced = owners.filter((owner) => !owner.unsynced);
    if (synced.length === 0) return true;
    const ends = await this.#ends();
    if (ends === undefined) return false;
    for (const owner of synced) this.#parked.set(owner.partition, { owner, stateEnd: ends[owner.partition] ?? -1 });
    return true;
  }

  /**
   * The parked owners of these partitions whose orch.state nobody wrote since they were parked,
   * ready to resume; every other parked owner is dropped (its partition went elsewhere, or moved on).
   */
  async take(partitions: number[]): Promise<Map<number, PartitionOwner>> {
    const resumed = new Map<number, PartitionOwner>();
    const candidates = partitions.filter((p) => this.#parked.has(p));
    const ends = candidates.length === 0 ? undefined : await this.#ends();
    for (const partition of candidates) {
      const parked = this.#parked.get(partition)!;
      if (ends?.[partition] !== parked.stateEnd) continue;
      parked.owner.revoked = false;
      resumed.set(partition, parked.owner);
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
