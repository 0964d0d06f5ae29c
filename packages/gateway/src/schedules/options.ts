/** Options of the schedule firing loop, with their defaults. */
import { z } from 'zod';
import { functionOption, integerOption, parseOptions } from '@orchestrator-lite/core';

export interface SchedulerOptions {
  /** How often owed firings are looked for, in ms; 0 turns the timer off (tests call `tick()`). @default 1000 */
  tickMs?: number;
  /**
   * With catchup `none`, a firing up to this old is still fired (late) rather than recorded as
   * missed. It must exceed a failover (a consumer-group rebalance) so a new owner fires what the
   * old one owed. @default 60000
   */
  misfireGraceMs?: number;
  /** With catchup `all`, the most firings of one schedule per tick. @default 100 */
  maxPerTick?: number;
  /** The clock, epoch ms; injectable for tests. @default Date.now */
  now?: () => number;
}

export interface SchedulerConfig {
  readonly tickMs: number;
  readonly misfireGraceMs: number;
  readonly maxPerTick: number;
  readonly now: () => number;
}

export const SCHEDULER_DEFAULTS = Object.freeze({ tickMs: 1000, misfireGraceMs: 60_000, maxPerTick: 100 });

const schedulerOptionsSchema = z.object({
  tickMs: integerOption(0).default(SCHEDULER_DEFAULTS.tickMs),
  misfireGraceMs: integerOption(0).default(SCHEDULER_DEFAULTS.misfireGraceMs),
  maxPerTick: integerOption(1).default(SCHEDULER_DEFAULTS.maxPerTick),
  now: functionOption<() => number>().default(() => Date.now),
});

export function resolveSchedulerConfig(options: SchedulerOptions = {}): SchedulerConfig {
  return Object.freeze(parseOptions('scheduler', schedulerOptionsSchema, options));
}
