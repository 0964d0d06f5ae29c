import type { TestContext } from 'node:test';
import { runConformanceSuite } from '../../src/conformance/suite.js';
import { createEmbeddedTransport } from '../../src/embedded/index.js';
import type { EmbeddedTransport } from '../../src/embedded/index.js';
import type { Transport } from '../../src/types.js';
import { tempDataDir } from './temp-dirs.js';

// The peer of a test opens the same data directory: a second client of the same bus.
const dataDirs = new WeakMap<TestContext, string>();
const asEmbedded = (transport: Transport): EmbeddedTransport => transport as EmbeddedTransport;

runConformanceSuite('embedded', {
  async create(t) {
    const dataDir = tempDataDir();
    if (t !== undefined) dataDirs.set(t, dataDir);
    return createEmbeddedTransport({ dataDir });
  },
  async createPeer(t) {
    const dataDir = (t === undefined ? undefined : dataDirs.get(t)) ?? tempDataDir();
    return createEmbeddedTransport({ dataDir });
  },
  async compact(transport) {
    await asEmbedded(transport).compact();
  },
  timeoutMs: 10_000,
});
