import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterMetadata, ExtendedGroupProtocolSubscription } from '@platformatic/kafka';
import { coPartitionedAssigner } from '../../src/kafka/co-partitioned-assigner.js';

function metadata(counts: Record<string, number>): ClusterMetadata {
  const topics = new Map(Object.entries(counts).map(([name, partitionsCount]) => [name, { id: name, partitions: [], partitionsCount, lastUpdate: 0 }]));
  return { id: 'c', brokers: new Map(), controllerId: 1, topics, lastUpdate: 0 };
}

function members(ids: string[], topics: string[]): Map<string, ExtendedGroupProtocolSubscription> {
  return new Map(ids.map((memberId) => [memberId, { memberId, version: 0, topics }]));
}

void test('partition p of co-partitioned topics goes to the same member, for any member count', () => {
  const topics = ['orch.commands', 'orch.results', 'orch.state'];
  for (const memberCount of [1, 2, 3, 4, 5, 7, 9]) {
    const ids = Array.from({ length: memberCount }, (_, i) => `m-${(i * 7919) % 13}-${i}`);
    const result = coPartitionedAssigner(ids[0]!, members(ids, topics), new Set(topics), metadata({ 'orch.commands': 8, 'orch.results': 8, 'orch.state': 8 }));
    const owner = new Map<string, string>();
    for (const { memberId, assignments } of result) {
      for (const { topic, partitions } of assignments.values()) {
        for (const p of partitions) {
          assert.ok(!owner.has(`${topic}:${p}`), `${topic}:${p} assigned twice`);
          owner.set(`${topic}:${p}`, memberId);
        }
      }
    }
    for (let p = 0; p < 8; p++) {
      const a = owner.get(`orch.commands:${p}`);
      assert.ok(a, `partition ${p} unassigned`);
      assert.equal(owner.get(`orch.results:${p}`), a);
      assert.equal(owner.get(`orch.state:${p}`), a);
    }
    const sizes = result.map((m) => m.assignments.get('orch.commands')?.partitions.length ?? 0);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `balanced: ${sizes.join(',')}`);
  }
});

void test('a topic only goes to the members that subscribe to it', () => {
  const subs = new Map<string, ExtendedGroupProtocolSubscription>([
    ['a', { memberId: 'a', version: 0, topics: ['x'] }],
    ['b', { memberId: 'b', version: 0, topics: ['x', 'y'] }],
  ]);
  const result = coPartitionedAssigner('a', subs, new Set(['x', 'y']), metadata({ x: 2, y: 3 }));
  const a = result.find((m) => m.memberId === 'a')!;
  const b = result.find((m) => m.memberId === 'b')!;
  assert.deepEqual(a.assignments.get('x')?.partitions, [0]);
  assert.equal(a.assignments.get('y'), undefined);
  assert.deepEqual(b.assignments.get('x')?.partitions, [1]);
  assert.deepEqual(b.assignments.get('y')?.partitions, [0, 1, 2]);
});
