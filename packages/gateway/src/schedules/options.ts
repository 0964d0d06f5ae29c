/** Options of the schedule firing loop, with their defaults. */
import { ErrorCode, OrchError } from '@orchestrator-lite/core';

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

export function resolveSchedulerConfig(options: SchedulerOptions = {}): SchedulerConfig {
  const config = {
    tickMs: options.tickMs ?? SCHEDULER_DEFAULTS.tickMs,
    misfireGraceMs: options.misfireGraceMs ?? SCHEDULER_DEFAULTS.misfireGraceMs,
    maxPerTick: options.maxPerTick ?? SCHEDULER_DEFAULTS.maxPerTick,
    now: options.now ?? Date.now,
  };
  const bad = (['tickMs', 'misfireGraceMs', 'maxPerTick'] as const).filter((k) => !Number.isInteger(config[k]) || config[k] < (k === 'maxPerTick' ? 1 : 0));
  if (bad.length > 0) {
    const issues = bad.map((k) => ({ field: `scheduler.${k}`, message: `must be an integer >= ${k === 'maxPerTick' ? 1 : 0}` }));
    throw new OrchError(ErrorCode.Config, `invalid gateway options: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`, { issues });
  }
  return Object.freeze(config);
}
