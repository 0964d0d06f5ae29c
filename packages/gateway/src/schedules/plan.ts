/**
 * Which firings a schedule owes at `now`: a pure function of the spec, what was fired last and
 * the clock, so every policy is unit-tested with an injected time.
 *
 * A firing is owed for each cron time after the later of the last time handled and the last
 * change of the schedule (a resume or an edit owes nothing from before it), up to `now`:
 * - catchup `all`: every one, oldest first, at most `maxPerTick` per call (the rest next call);
 * - catchup `last`: only the latest;
 * - catchup `none`: only the latest, and only when it is at most `misfireGraceMs` old: a firing
 *   missed by longer (the process was down) is recorded as missed, not run late.
 * The grace covers a failover: the new owner still fires what the old one owed a moment ago.
 */
import type { CronClock, FiringState, ScheduleSpec } from './spec.js';

export interface PlanOptions {
  now: number;
  misfireGraceMs: number;
  maxPerTick: number;
}

export interface Plan {
  /** Cron times to fire, ascending. */
  fire: number[];
  /** A cron time passed over without a run (catchup none, past the grace), to record as missed. */
  missed: number | undefined;
  /** The new `lastFireAt`, when anything was handled. */
  through: number | undefined;
}

const NOTHING: Plan = { fire: [], missed: undefined, through: undefined };

/** The latest cron time in [first, now], given `first` = the earliest one after `from` (binary search on `next`). */
function latestDue(clock: CronClock, first: number, now: number): number {
  // next(x) > now is false below the latest due time L and true from L on.
  let lo = first;
  let hi = now;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((clock.next(mid) ?? Infinity) > now) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function planFirings(spec: ScheduleSpec, state: FiringState | undefined, clock: CronClock, options: PlanOptions): Plan {
  if (spec.paused) return NOTHING;
  const { now } = options;
  const from = Math.max(state?.lastFireAt ?? -Infinity, spec.updatedAt);
  const first = clock.next(from);
  if (first === null || first > now) return NOTHING;

  if (spec.catchup === 'all') {
    const fire: number[] = [];
    let at: number | null = first;
    while (at !== null && at <= now && fire.length < options.maxPerTick) {
      fire.push(at);
      at = clock.next(at);
    }
    return { fire, missed: undefined, through: fire[fire.length - 1] };
  }

  const latest = latestDue(clock, first, now);
  if (spec.catchup === 'none' && now - latest > options.misfireGraceMs) return { fire: [], missed: latest, through: latest };
  return { fire: [latest], missed: undefined, through: latest };
}
