import type { TestContext } from 'node:test';
import type { Transport } from '../types.js';

/**
 * How the conformance suite gets transports. Everything transport-specific is an optional
 * capability here, never a special case in a test.
 */
export interface ConformanceFactory {
  /** A connected transport. The suite closes it after the test (`close()` must be idempotent). */
  create(t?: TestContext): Promise<Transport>;
  /** A second, independent client of the same bus. @default `create` */
  createPeer?(t?: TestContext): Promise<Transport>;
  /**
   * Compacts compacted topics now, where the transport can. Without it the compaction test still
   * runs: whether or not compaction happened, the last record read per key must win.
   */
  compact?(transport: Transport): Promise<void>;
  /** The longest any single wait (a group join, a delivery) may take. @default 20000 */
  timeoutMs?: number;
}
