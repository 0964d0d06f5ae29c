import type { TopicPartition } from '../types.js';
import { rangeAssign } from './range-assignor.js';

/** What the coordinator needs from a member. */
export interface GroupMember {
  readonly memberId: string;
  readonly topics: readonly string[];
  /** Stops delivery of every owned partition, awaits `onRevoke`, then owns nothing. */
  revokeAll(): Promise<void>;
  /** Owns `partitions`, awaits `onAssign`, then starts delivery. */
  assign(partitions: TopicPartition[]): Promise<void>;
}

/**
 * An in-process consumer-group coordinator with Kafka's eager rebalance: on every join or
 * leave, every member stops delivery and revokes all of its partitions, then the partitions are
 * assigned afresh and delivery resumes from the committed offsets. Joins and leaves are
 * serialized, so two rebalances never overlap and a partition never has two owners.
 */
export class ConsumerGroup {
  private readonly members = new Map<string, GroupMember>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly groupId: string,
    private readonly partitionCount: (topic: string) => number,
  ) {}

  get size(): number {
    return this.members.size;
  }

  join(member: GroupMember): Promise<void> {
    return this.serialize(async () => {
      await this.revokeEveryone();
      this.members.set(member.memberId, member);
      await this.assignEveryone();
    });
  }

  leave(member: GroupMember): Promise<void> {
    return this.serialize(async () => {
      if (!this.members.has(member.memberId)) return;
      await this.revokeEveryone();
      this.members.delete(member.memberId);
      await this.assignEveryone();
    });
  }

  private async revokeEveryone(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.revokeAll()));
  }

  private async assignEveryone(): Promise<void> {
    const members = [...this.members.values()];
    const plan = rangeAssign(members, this.partitionCount);
    await Promise.all(members.map((m) => m.assign(plan.get(m.memberId) ?? [])));
  }

  private serialize(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step);
    // The queue itself never rejects, so one failed step does not block the next.
    this.queue = run.catch(() => undefined);
    return run;
  }
}
