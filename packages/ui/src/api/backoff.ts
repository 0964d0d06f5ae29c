/**
 * Reconnect delays: exponential growth with "full jitter" (a uniform draw in [0, base]), so that
 * many browsers dropped by one gateway restart do not all come back in the same millisecond.
 */
export interface BackoffOptions {
  /** First base delay. @default 250 */
  initialMs?: number;
  /** Cap on the base delay. @default 10000 */
  maxMs?: number;
  /** Growth per failed attempt. @default 2 */
  factor?: number;
}

/** The delay before reconnect attempt `attempt` (0-based); `random` is injectable for tests. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? 250;
  const max = options.maxMs ?? 10_000;
  const factor = options.factor ?? 2;
  const base = Math.min(max, initial * Math.pow(factor, Math.max(0, attempt)));
  // Never below a small floor: an immediate retry storm helps nobody.
  return Math.max(50, Math.round(base / 2 + random() * (base / 2)));
}
