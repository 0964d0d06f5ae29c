import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@orchestrator-lite/testing';
import type { CleanupContext } from '@orchestrator-lite/testing';
import { freePort } from './helpers.js';

/** A broker of a test's own (own state dir and ports), which it may stop and start. */
export interface DedicatedBroker {
  brokers: string[];
  up(): Promise<void>;
  down(): Promise<void>;
}

function kafkaSh(command: 'up' | 'down', env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['deploy/kafka/kafka.sh', command], { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 300_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`kafka.sh ${command} failed: ${error.message}\n${stderr.slice(-4000)}`));
      else resolve();
    });
  });
}

/**
 * Starts a single-node broker with deploy/kafka/kafka.sh in a temp dir on free ports, and stops
 * it when the test ends. The jars of the repo's broker are linked in when they were resolved from
 * the same pom (kafka.sh checks the stamp), which spares a Maven run.
 */
export async function startDedicatedBroker(t: CleanupContext): Promise<DedicatedBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'orch-cluster-broker-'));
  const libs = join(repoRoot, '.kafka', 'libs');
  const stamp = join(libs, '.pom.sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim().length > 0) symlinkSync(libs, join(dir, 'libs'));
  const port = await freePort();
  const env = { KAFKA_HOME_DIR: dir, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(await freePort()) };
  t.after(async () => {
    await kafkaSh('down', env).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const broker: DedicatedBroker = {
    brokers: [`127.0.0.1:${port}`],
    up: () => kafkaSh('up', env),
    down: () => kafkaSh('down', env),
  };
  await broker.up();
  return broker;
}
