/**
 * The bus a phase runs on: the embedded SQLite log in a fresh temporary folder, or a real Kafka
 * broker (KAFKA_BROKERS, default 127.0.0.1:9092) under a random topic prefix that is deleted after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { createEmbeddedTransport, createKafkaTransport } from '@orchestrator-lite/transport';

export const brokersFromEnv = () => (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);

/**
 * The embedded transport on `dataDir` as every phase opens it: the product's default synchronous
 * 'normal', or BENCH_EMBEDDED_SYNCHRONOUS=full to measure the alternative.
 */
export function openEmbedded(dataDir) {
  const synchronous = process.env.BENCH_EMBEDDED_SYNCHRONOUS;
  return createEmbeddedTransport({ dataDir, ...(synchronous ? { synchronous } : {}) });
}

export const randomPrefix = (label) => `bench-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.`;

/**
 * `{ transport, prefix, cleanup() }` for `kind` 'embedded' or 'kafka'; the embedded bus also gives
 * its `dataDir`, and with `open: false` no transport (another process opens it there).
 */
export function openBus(kind, label, { open = true } = {}) {
  const prefix = randomPrefix(label);
  if (kind === 'embedded') {
    const dataDir = mkdtempSync(join(tmpdir(), 'orch-bench-'));
    const transport = open ? openEmbedded(dataDir) : undefined;
    return {
      transport,
      dataDir,
      prefix,
      cleanup: async () => {
        await transport?.close().catch(() => undefined);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  if (kind !== 'kafka') throw new Error(`bus: kind must be 'embedded' or 'kafka', got ${JSON.stringify(kind)}`);
  const brokers = brokersFromEnv();
  // BENCH_KAFKA_FETCH_MAX_WAIT_MS measures the transport with another fetch wait than its default.
  const fetchMaxWaitMs = process.env.BENCH_KAFKA_FETCH_MAX_WAIT_MS ? Number(process.env.BENCH_KAFKA_FETCH_MAX_WAIT_MS) : undefined;
  // BENCH_KAFKA_COMMIT_INTERVAL_MS measures it with another interval between offset commits.
  const commitIntervalMs = process.env.BENCH_KAFKA_COMMIT_INTERVAL_MS ? Number(process.env.BENCH_KAFKA_COMMIT_INTERVAL_MS) : undefined;
  const transport = createKafkaTransport({ brokers, clientId: `orch-bench-${label}`, ...(fetchMaxWaitMs ? { fetchMaxWaitMs } : {}), ...(commitIntervalMs ? { commitIntervalMs } : {}) });
  return {
    transport,
    prefix,
    cleanup: async () => {
      await transport.close().catch(() => undefined);
      await deleteTopicsWithPrefix(brokers, prefix);
    },
  };
}

/** Removes the topics a run created, so repeated benchmarks do not pile up on a shared broker. */
export async function deleteTopicsWithPrefix(brokers, prefix) {
  const admin = new Admin({ clientId: 'orch-bench-cleanup', bootstrapBrokers: brokers });
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } catch (error) {
    process.stderr.write(`bench: could not delete topics ${prefix}*: ${error.message}\n`);
  } finally {
    await admin.close().catch(() => undefined);
  }
}
