import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planFirings } from '../../src/schedules/plan.js';
import { compileCron, firingKey } from '../../src/schedules/spec.js';
import type { FiringState, ScheduleSpec } from '../../src/schedules/spec.js';

const T = (iso: string): number => Date.parse(iso);
const MIN = 60_000;

function spec(overrides: Partial<ScheduleSpec> = {}): ScheduleSpec {
  return {
    name: 'hourly',
    workflow: 'w',
    cron: '0 * * * *',
    timezone: 'UTC',
    input: {},
    overlap: 'skip',
    catchup: 'none',
    paused: false,
    createdAt: T('2026-01-01T00:30:00Z'),
    updatedAt: T('2026-01-01T00:30:00Z'),
    ...overrides,
  };
}
const options = (now: number) => ({ now, misfireGraceMs: MIN, maxPerTick: 100 });
const fired = (lastFireAt: number): FiringState => ({ name: 'hourly', lastFireAt, recent: [] });

void test('nothing is owed before the first cron time after the schedule was created', () => {
  const s = spec();
  assert.deepEqual(planFirings(s, undefined, compileCron(s.cron, s.timezone), options(T('2026-01-01T00:59:59Z'))).fire, []);
  const due = planFirings(s, undefined, compileCron(s.cron, s.timezone), options(T('2026-01-01T01:00:00Z')));
  assert.deepEqual(due.fire, [T('2026-01-01T01:00:00Z')]);
  assert.equal(due.through, T('2026-01-01T01:00:00Z'));
});

void test('a cron time already handled is not owed again', () => {
  const s = spec();
  const plan = planFirings(s, fired(T('2026-01-01T01:00:00Z')), compileCron(s.cron, s.timezone), options(T('2026-01-01T01:00:30Z')));
  assert.deepEqual(plan, { fire: [], missed: undefined, through: undefined });
});

void test('catchup none: the latest missed time is still fired within the grace, recorded as missed past it', () => {
  const s = spec();
  const clock = compileCron(s.cron, s.timezone);
  const late = planFirings(s, fired(T('2026-01-01T01:00:00Z')), clock, options(T('2026-01-01T02:00:40Z')));
  assert.deepEqual(late.fire, [T('2026-01-01T02:00:00Z')]);
  const tooLate = planFirings(s, fired(T('2026-01-01T01:00:00Z')), clock, options(T('2026-01-01T05:30:00Z')));
  assert.deepEqual(tooLate.fire, []);
  assert.equal(tooLate.missed, T('2026-01-01T05:00:00Z'));
  assert.equal(tooLate.through, T('2026-01-01T05:00:00Z'));
});

void test('catchup last fires only the latest missed time; catchup all fires each, oldest first, bounded per tick', () => {
  const clock = compileCron('0 * * * *', 'UTC');
  const now = T('2026-01-01T05:30:00Z');
  const last = planFirings(spec({ catchup: 'last' }), fired(T('2026-01-01T01:00:00Z')), clock, options(now));
  assert.deepEqual(last.fire, [T('2026-01-01T05:00:00Z')]);
  const all = planFirings(spec({ catchup: 'all' }), fired(T('2026-01-01T01:00:00Z')), clock, options(now));
  assert.deepEqual(all.fire, ['02', '03', '04', '05'].map((h) => T(`2026-01-01T${h}:00:00Z`)));
  const bounded = planFirings(spec({ catchup: 'all' }), fired(T('2026-01-01T01:00:00Z')), clock, { ...options(now), maxPerTick: 2 });
  assert.deepEqual(bounded.fire, [T('2026-01-01T02:00:00Z'), T('2026-01-01T03:00:00Z')]);
  assert.equal(bounded.through, T('2026-01-01T03:00:00Z'));
});

void test('a paused schedule owes nothing, and a resume (a change) owes nothing from before it', () => {
  const clock = compileCron('0 * * * *', 'UTC');
  assert.deepEqual(planFirings(spec({ paused: true, catchup: 'all' }), undefined, clock, options(T('2026-01-02T00:00:00Z'))).fire, []);
  const resumed = spec({ catchup: 'all', updatedAt: T('2026-01-01T04:10:00Z') });
  assert.deepEqual(planFirings(resumed, fired(T('2026-01-01T01:00:00Z')), clock, options(T('2026-01-01T05:30:00Z'))).fire, [T('2026-01-01T05:00:00Z')]);
});

void test('cron is read in its IANA time zone, across a daylight-saving change, and may have 6 fields with seconds first', () => {
  const paris = compileCron('0 9 * * *', 'Europe/Paris');
  assert.equal(paris.next(T('2026-03-28T12:00:00Z')), T('2026-03-29T07:00:00Z')); // CEST: UTC+2
  assert.equal(paris.next(T('2026-03-27T12:00:00Z')), T('2026-03-28T08:00:00Z')); // CET: UTC+1
  const everyTen = compileCron('*/10 * * * * *', 'UTC');
  assert.equal(everyTen.next(T('2026-01-01T00:00:00Z')), T('2026-01-01T00:00:10Z'));
});

void test('the idempotency key of a firing names the schedule and the fire time in ISO 8601', () => {
  assert.equal(firingKey('nightly', T('2026-01-01T02:00:00Z')), 'schedule:nightly:2026-01-01T02:00:00.000Z');
});
