import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { repoRoot, waitFor } from '@orchestrator-lite/testing';
import type { CleanupContext } from '@orchestrator-lite/testing';

/**
 * A 3-node Kafka cluster (combined broker+controller nodes) from deploy/kafka/kafka.sh, for
 * faults that kill brokers. The test runner starts it (KAFKA_CLUSTER_HOME, KAFKA_CLUSTER_PORT);
 * a test file run alone starts it itself in <repo>/.kafka-cluster on 29092/29094/29096 and
 * stops it at the end. Its ports never collide with the single broker on 9092.
 */
export const CLUSTER_ENV = { home: 'KAFKA_CLUSTER_HOME', port: 'KAFKA_CLUSTER_PORT' } as const;
export const CLUSTER_DEFAULTS = { home: join(repoRoot, '.kafka-cluster'), port: 29092, nodes: 3 } as const;

export interface BrokerCluster {
  /** `127.0.0.1:<port>` of nodes 1..3. */
  brokers: string[];
  nodes: number[];
  pid(node: number): number;
  /** kill -9 of one node (its broker and its controller). */
  kill(node: number): void;
  /** Starts the nodes that are down again, and waits until each says it started. */
  restart(): Promise<void>;
  /** The node that leads the KRaft quorum now (the active controller). */
  activeController(): number;
  /** Leader node per partition of `topic`. */
  leaders(topic: string): Promise<number[]>;
  /** Replica count and min.insync.replicas of `topic`. */
  replication(topic: string): Promise<{ replicas: number[]; minInsync: string | undefined }>;
}

function kafkaSh(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['deploy/kafka/kafka.sh', ...args], { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 300_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`kafka.sh ${args.join(' ')} failed: ${error.message}\n${stderr.slice(-4000)}`));
      else resolve();
    });
  });
}

export async function ensureBrokerCluster(t: CleanupContext): Promise<BrokerCluster> {
  const given = process.env[CLUSTER_ENV.home];
  const home = given ?? CLUSTER_DEFAULTS.home;
  const port = Number(process.env[CLUSTER_ENV.port] ?? CLUSTER_DEFAULTS.port);
  const env = { KAFKA_HOME_DIR: home, KAFKA_PORT: String(port), KAFKA_HEAP: process.env.KAFKA_HEAP ?? '384m' };
  const nodes = [1, 2, 3];
  if (given === undefined) {
    // Spare a Maven run: reuse the jars of the repo's broker when they come from the same pom.
    const libs = join(repoRoot, '.kafka', 'libs');
    mkdirSync(home, { recursive: true });
    if (!existsSync(join(home, 'libs')) && existsSync(join(libs, '.pom.sha256'))) symlinkSync(libs, join(home, 'libs'));
    t.after(() => kafkaSh(['down'], env).catch(() => undefined));
  }
  // Idempotent: starts whatever node is not running.
  await kafkaSh(['up', '--brokers', String(nodes.length)], env);
  const brokers = nodes.map((n) => `127.0.0.1:${port + 2 * (n - 1)}`);
  const admin = (): Admin => new Admin({ clientId: 'fault-cluster-admin', bootstrapBrokers: brokers, metadataMaxAge: 1000, retries: 5, retryDelay: 500 });
  // A node that a previous test restarted can be running and still not registered, or answer
  // metadata from a view that is not caught up: topics created now would get fewer replicas (the
  // transport sizes them on the brokers it sees). Every node must list every node.
  let seen: number[] = [];
  await waitFor(async () => {
    seen = await Promise.all(brokers.map(async (broker) => {
      const client = new Admin({ clientId: 'fault-cluster-admin', bootstrapBrokers: [broker], retries: 0 });
      try {
        return (await client.metadata({ topics: [], forceUpdate: true })).brokers.size;
      } catch {
        return 0;
      } finally {
        await client.close();
      }
    }));
    return seen.every((n) => n === nodes.length);
  }, { timeoutMs: 90_000, intervalMs: 500 }).catch((error: unknown) => {
    throw new Error(`the nodes' metadata lists ${seen.join(', ')} of ${nodes.length} brokers after 90 s`, { cause: error });
  });
  const pid = (node: number): number => Number(readFileSync(join(home, `broker-${node}.pid`), 'utf8').trim());
  return {
    brokers,
    nodes,
    pid,
    kill: (node) => process.kill(pid(node), 'SIGKILL'),
    restart: () => kafkaSh(['up', '--brokers', String(nodes.length)], env),
    activeController: () => {
      // Each node keeps its view of the quorum; the highest epoch is the newest.
      let best = { leaderId: -1, leaderEpoch: -1 };
      for (const n of nodes) {
        try {
          const state = JSON.parse(readFileSync(join(home, `node-${n}`, 'data', '__cluster_metadata-0', 'quorum-state'), 'utf8')) as typeof best;
          if (state.leaderEpoch > best.leaderEpoch && state.leaderId > 0) best = state;
        } catch {
          // not written yet
        }
      }
      if (best.leaderId < 0) throw new Error(`no quorum leader found under ${home}`);
      return best.leaderId;
    },
    async leaders(topic) {
      const client = admin();
      try {
        const metadata = await client.metadata({ topics: [topic], forceUpdate: true });
        const info = metadata.topics.get(topic);
        if (!info) throw new Error(`no metadata for ${topic}`);
        return info.partitions.map((p) => p.leader);
      } finally {
        await client.close();
      }
    },
    async replication(topic) {
      const client = admin();
      try {
        const metadata = await client.metadata({ topics: [topic], forceUpdate: true });
        const replicas = metadata.topics.get(topic)?.partitions.map((p) => p.replicas.length) ?? [];
        const configs = await client.describeConfigs({ resources: [{ resourceType: 2, resourceName: topic, configurationKeys: ['min.insync.replicas'] }] });
        return { replicas, minInsync: configs[0]?.configs.find((c) => c.name === 'min.insync.replicas')?.value ?? undefined };
      } finally {
        await client.close();
      }
    },
  };
}
