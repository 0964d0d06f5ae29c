import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PartitionTracker } from '../src/partition-tracker.js';

test('commits only below the lowest unfinished offset, whatever order records finish in', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 60 }).chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: 0, maxLength: n }))),
      ([n, finishOrder]) => {
        const tracker = new PartitionTracker();
        for (let offset = 0; offset < n; offset++) tracker.begin(offset);
        const finished = new Set<number>();
        let lastCommit = 0;
        for (const offset of finishOrder) {
          tracker.end(offset);
          finished.add(offset);
          const commit = tracker.committable()!;
          // Everything below the commit point has finished; the commit point itself has not (unless all did).
          for (let o = 0; o < commit; o++) assert.ok(finished.has(o), `offset ${o} committed before it finished`);
          if (commit < n) assert.ok(!finished.has(commit));
          assert.ok(commit >= lastCommit, 'the commit point never moves back');
          lastCommit = commit;
        }
        if (finishOrder.length === n) assert.equal(tracker.committable(), n);
        assert.equal(tracker.inFlight, n - finishOrder.length);
      },
    ),
  );
});

test('a skipped record moves the high-water mark without waiting', () => {
  const tracker = new PartitionTracker();
  assert.equal(tracker.committable(), undefined);
  tracker.skip(0);
  assert.equal(tracker.committable(), 1);
  tracker.begin(1);
  tracker.skip(2);
  assert.equal(tracker.committable(), 1);
  tracker.end(1);
  assert.equal(tracker.committable(), 3);
});

test('records taken again after their results failed, and finished in any order, commit as the lowest unfinished says', () => {
  // Each step: take the next offset, skip it, finish an unfinished one, or take again one that finished.
  const step = fc.record({ kind: fc.constantFrom('take', 'skip', 'finish', 'retake'), pick: fc.nat() });
  fc.assert(
    fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
      const tracker = new PartitionTracker();
      const unfinished = new Set<number>();
      const finished: number[] = [];
      let next = 0;
      for (const { kind, pick } of steps) {
        if (kind === 'take') {
          tracker.begin(next);
          unfinished.add(next++);
        } else if (kind === 'skip') {
          tracker.skip(next++);
        } else if (kind === 'finish' && unfinished.size > 0) {
          const offset = [...unfinished][pick % unfinished.size]!;
          tracker.end(offset);
          unfinished.delete(offset);
          finished.push(offset);
        } else if (kind === 'retake' && finished.length > 0) {
          const [offset] = finished.splice(pick % finished.length, 1);
          tracker.begin(offset!);
          unfinished.add(offset!);
        }
        const lowest = Math.min(next, ...unfinished);
        assert.equal(tracker.committable(), next === 0 ? undefined : lowest);
        assert.equal(tracker.inFlight, unfinished.size);
      }
    }),
  );
});
