/** Durations in configuration: a number of milliseconds, or a number with a unit (`500ms`, `30s`, `15m`, `1h`, `7d`). */
import { ErrorCode, OrchError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string, field = 'duration'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (!match) {
    throw new OrchError(ErrorCode.Config, `${field}: expected a duration such as 500ms, 30s, 15m, 1h or 7d (or a number of ms), got ${JSON.stringify(text)}`);
  }
  return Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 'ms']!);
}

/** How long an ended run is kept (`ORCH_RUN_RETENTION`) before the engine forgets it: 7 days. */
export const DEFAULT_RUN_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** How often the runs that ended longer than `runRetentionMs` ago are looked for: a quarter of it, within 100 ms .. 1 min. */
export function retentionSweepMs(runRetentionMs: number): number {
  return Math.min(60_000, Math.max(100, Math.floor(runRetentionMs / 4)));
}
