import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

// The shared test helpers live in @orchestrator-lite/testing, which depends on this package; the
// few lines the transport's own tests need are repeated here to keep the build graph acyclic.

export const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));

/** Only an explicit ORCH_SKIP_KAFKA=1 skips; otherwise a missing broker fails the tests. */
export function kafkaSkip(): string | undefined {
  if (process.env.ORCH_SKIP_KAFKA !== '1') return undefined;
  const reason = 'SKIPPED: Kafka tests are disabled by ORCH_SKIP_KAFKA=1 — these tests did NOT run';
  process.stderr.write(`\n*** ${reason} ***\n`);
  return reason;
}

export function kafkaSh(command: 'up' | 'down' | 'status', env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['deploy/kafka/kafka.sh', command], { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 300_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`kafka.sh ${command} failed: ${error.message}\n${stderr.slice(-4000)}`));
      else resolve(stdout + stderr);
    });
  });
}

/** KAFKA_BROKERS when set, else the repo's broker on 127.0.0.1:9092 (started if needed). */
export async function ensureKafka(): Promise<string[]> {
  const env = process.env.KAFKA_BROKERS;
  if (env && env.trim() !== '') return env.split(',').map((b) => b.trim()).filter(Boolean);
  await kafkaSh('up');
  return ['127.0.0.1:9092'];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function randomPrefix(): string {
  return `kt-${randomBytes(4).toString('hex')}.`;
}

export async function waitUntil(fn: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
