import { describe } from 'node:test';
import type { ConformanceFactory } from './factory.js';
import { registerGroupTests } from './group-tests.js';
import { SuiteContext } from './helpers.js';
import { registerLogTests } from './log-tests.js';
import { registerPayloadTests } from './payload-tests.js';

export type { ConformanceFactory } from './factory.js';
export { Inbox, waitFor, readAll, uniqueName } from './helpers.js';

/**
 * THE transport conformance suite: registers `describe(name)` with node:test and one test per
 * property of the bus contract (`../types.ts`). Run it against every transport:
 *
 * ```ts
 * runConformanceSuite('embedded', { create: async () => createEmbeddedTransport({ dataDir }) });
 * ```
 *
 * Every test uses random topic and group names and closes what it opened. Anything that differs
 * between transports is a capability of the factory, never a special case in a test.
 */
export function runConformanceSuite(name: string, factory: ConformanceFactory): void {
  const ctx = new SuiteContext(factory);
  void describe(name, () => {
    registerLogTests(ctx);
    registerGroupTests(ctx);
    registerPayloadTests(ctx);
  });
}
