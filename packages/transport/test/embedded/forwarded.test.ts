import type { TestContext } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { runConformanceSuite } from '../../src/conformance/suite.js';
import { createEmbeddedTransport } from '../../src/embedded/index.js';
import type { EmbeddedTransport } from '../../src/embedded/index.js';
import { ForwardedTransport, serveTransport } from '../../src/forwarded.js';
import type { Transport } from '../../src/types.js';
import { tempDataDir } from './temp-dirs.js';

/**
 * The embedded bus served over a MessagePort: each transport of the suite is a ForwardedTransport
 * whose calls, batches and assignments cross a port to an embedded transport on the data directory.
 */
const dataDirs = new WeakMap<TestContext, string>();
const served = new WeakMap<Transport, EmbeddedTransport>();

function forwarded(dataDir: string): Transport {
  const bus = createEmbeddedTransport({ dataDir });
  const { port1, port2 } = new MessageChannel();
  const server = serveTransport(port1, bus);
  const transport = new ForwardedTransport(port2, bus.kind, bus.atomicCommit);
  const close = transport.close.bind(transport);
  // The suite closes what it created: the role's side, then what served it.
  transport.close = async () => {
    await close();
    await server.close();
    await bus.close();
  };
  served.set(transport, bus);
  return transport;
}

runConformanceSuite('embedded, forwarded over a MessagePort', {
  async create(t) {
    const dataDir = tempDataDir();
    if (t !== undefined) dataDirs.set(t, dataDir);
    return forwarded(dataDir);
  },
  async createPeer(t) {
    return forwarded((t === undefined ? undefined : dataDirs.get(t)) ?? tempDataDir());
  },
  async compact(transport) {
    await served.get(transport)!.compact();
  },
  timeoutMs: 10_000,
});
