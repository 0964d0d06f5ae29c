import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { rangeAssign } from '../../src/embedded/range-assignor.js';

const counts: Record<string, number> = { a: 5, b: 5, c: 2 };
const partitionCount = (topic: string): number => counts[topic] ?? 0;
const keys = (plan: Map<string, Array<{ topic: string; partition: number }>>, member: string): string[] =>
  (plan.get(member) ?? []).map((tp) => `${tp.topic}/${tp.partition}`);

void test('range assignment gives contiguous ranges over sorted member ids, the first ones one more', () => {
  const plan = rangeAssign([{ memberId: 'm2', topics: ['a'] }, { memberId: 'm1', topics: ['a'] }], partitionCount);
  assert.deepEqual(keys(plan, 'm1'), ['a/0', 'a/1', 'a/2']);
  assert.deepEqual(keys(plan, 'm2'), ['a/3', 'a/4']);
});

void test('co-partitioned topics put partition p on the same member', () => {
  const members = ['x', 'y', 'z'].map((memberId) => ({ memberId, topics: ['a', 'b'] }));
  const plan = rangeAssign(members, partitionCount);
  for (const m of members) {
    const owned = plan.get(m.memberId) ?? [];
    const ofA = owned.filter((tp) => tp.topic === 'a').map((tp) => tp.partition);
    const ofB = owned.filter((tp) => tp.topic === 'b').map((tp) => tp.partition);
    assert.deepEqual(ofA, ofB, `member ${m.memberId}`);
  }
});

void test('only subscribers of a topic share it; more members than partitions leaves some idle', () => {
  const plan = rangeAssign([{ memberId: 'm1', topics: ['c'] }, { memberId: 'm2', topics: ['c'] }, { memberId: 'm3', topics: ['c', 'a'] }], partitionCount);
  assert.deepEqual(keys(plan, 'm1'), ['c/0']);
  assert.deepEqual(keys(plan, 'm2'), ['c/1']);
  assert.deepEqual(keys(plan, 'm3'), ['a/0', 'a/1', 'a/2', 'a/3', 'a/4']);
});
