import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in packages/testing/{src,dist/src}). */
export const repoRoot: string = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../../' : '../../../', import.meta.url));

export const KAFKA_ENV = {
  brokers: 'KAFKA_BROKERS',
  skip: 'ORCH_SKIP_KAFKA',
} as const;

/**
 * Why Kafka tests should skip, or `undefined` when they must run. Only an explicit
 * `ORCH_SKIP_KAFKA=1` skips; a missing broker makes them fail. Use as `test(name, { skip: kafkaSkip() }, ...)`.
 */
export function kafkaSkip(): string | undefined {
  if (process.env[KAFKA_ENV.skip] !== '1') return undefined;
  const reason = `SKIPPED: Kafka tests are disabled by ${KAFKA_ENV.skip}=1 — these tests did NOT run`;
  process.stderr.write(`\n*** ${reason} ***\n`);
  return reason;
}

let pending: Promise<{ brokers: string[] }> | undefined;

/**
 * A reachable Kafka: `KAFKA_BROKERS` (comma separated) when set; otherwise, when `java` and `mvn`
 * exist, `deploy/kafka/kafka.sh up` (idempotent) and 127.0.0.1:9092. Throws a clear error when no
 * broker can be had: tests that need Kafka fail rather than skip.
 */
export function ensureKafka(): Promise<{ brokers: string[] }> {
  pending ??= start().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

async function start(): Promise<{ brokers: string[] }> {
  const env = process.env[KAFKA_ENV.brokers];
  if (env && env.trim() !== '') return { brokers: env.split(',').map((b) => b.trim()).filter(Boolean) };
  const missing = ['java', 'mvn'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (missing.length > 0) {
    throw new Error(`ensureKafka: no broker. Set ${KAFKA_ENV.brokers}=host:port, or install ${missing.join(' and ')} so deploy/kafka/kafka.sh can start one (or set ${KAFKA_ENV.skip}=1 to skip Kafka tests explicitly).`);
  }
  await new Promise<void>((resolve, reject) => {
    execFile('bash', ['deploy/kafka/kafka.sh', 'up'], { cwd: repoRoot, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`ensureKafka: deploy/kafka/kafka.sh up failed: ${error.message}\n${stderr.slice(-4000)}`));
      else resolve();
    });
  });
  return { brokers: [`127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`] };
}
