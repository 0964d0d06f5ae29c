#!/usr/bin/env node
// Runs every suite: unit, conformance (embedded and real Kafka), end-to-end and browser tests.
// Kafka: KAFKA_BROKERS when set; otherwise the local broker from deploy/kafka (Java + Maven),
// started here and stopped at the end if this script started it. Kafka suites never skip
// silently: without a broker they fail, unless ORCH_SKIP_KAFKA=1 says so out loud.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const filters = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--only');

function find(dir, pattern, out = []) {
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, pattern, out);
    else if (pattern.test(name)) out.push(path);
  }
  return out;
}

const packages = readdirSync(join(root, 'packages'));
let files = [];
for (const pkg of packages) {
  files.push(...find(join(root, 'packages', pkg, 'dist', 'test'), /\.test\.js$/));
  files.push(...find(join(root, 'packages', pkg, 'test'), /\.test\.mjs$/));
}
const isKafka = (f) => /kafka/i.test(relative(root, f));
const isBrowser = (f) => /[\\/]ui[\\/]test[\\/]/.test(f);
if (only === 'unit') files = files.filter((f) => !isKafka(f) && !isBrowser(f));
if (filters.length > 0) files = files.filter((f) => filters.some((p) => f.includes(p)));
if (files.length === 0) {
  // node --test given no file would run whatever it finds under the folder.
  console.error(`[test] no test file matches ${filters.map((p) => JSON.stringify(p)).join(', ') || 'the selection'}; filters match a built file's path, e.g. packages/gateway/dist/test/options`);
  process.exit(2);
}
files.sort();

const env = { ...process.env };
let startedKafka = false;
const needsKafka = files.some(isKafka);
if (needsKafka && !env.KAFKA_BROKERS) {
  if (env.ORCH_SKIP_KAFKA === '1') {
    console.warn('\n!!! ORCH_SKIP_KAFKA=1: the Kafka suites will SKIP. This is not a passing Kafka run. !!!\n');
  } else {
    const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
    if (!has('java') || !has('mvn')) {
      console.error('The Kafka suites need a broker: set KAFKA_BROKERS, or install Java 17+ and Maven so that deploy/kafka can start one.');
      process.exit(1);
    }
    const wasUp = spawnSync('bash', [join(root, 'deploy/kafka/kafka.sh'), 'status'], { stdio: 'ignore' }).status === 0;
    console.log(wasUp ? '[test] using the local Kafka broker already running' : '[test] starting a local Kafka broker (deploy/kafka/kafka.sh up)');
    const up = spawnSync('bash', [join(root, 'deploy/kafka/kafka.sh'), 'up'], { stdio: 'inherit' });
    if (up.status !== 0) process.exit(up.status ?? 1);
    startedKafka = !wasUp;
    env.KAFKA_BROKERS = '127.0.0.1:9092';
  }
}

// The broker-fault suite kills brokers: it gets a 3-node cluster of its own (deploy/kafka/kafka.sh
// up --brokers 3) on other ports (29092, 29094, 29096) and in another state dir than the broker above.
const clusterEnv = {
  KAFKA_HOME_DIR: env.KAFKA_CLUSTER_HOME ?? join(root, '.kafka-cluster'),
  KAFKA_PORT: env.KAFKA_CLUSTER_PORT ?? '29092',
  KAFKA_HEAP: env.KAFKA_CLUSTER_HEAP ?? '384m',
};
let startedCluster = false;
if (files.some((f) => /broker-faults/.test(f)) && env.ORCH_SKIP_KAFKA !== '1') {
  const libs = join(root, '.kafka', 'libs');
  mkdirSync(clusterEnv.KAFKA_HOME_DIR, { recursive: true });
  // The same jars as the single broker's when they come from the same pom: no second Maven run.
  if (!existsSync(join(clusterEnv.KAFKA_HOME_DIR, 'libs')) && existsSync(join(libs, '.pom.sha256'))) symlinkSync(libs, join(clusterEnv.KAFKA_HOME_DIR, 'libs'));
  const script = join(root, 'deploy/kafka/kafka.sh');
  const wasUp = spawnSync('bash', [script, 'status'], { stdio: 'ignore', env: { ...env, ...clusterEnv } }).status === 0;
  console.log(`[test] ${wasUp ? 'using' : 'starting'} a 3-broker Kafka cluster on 127.0.0.1:${clusterEnv.KAFKA_PORT} (+2, +4) for the broker-fault suite`);
  const up = spawnSync('bash', [script, 'up', '--brokers', '3'], { stdio: 'inherit', env: { ...env, ...clusterEnv } });
  if (up.status !== 0) process.exit(up.status ?? 1);
  startedCluster = !wasUp;
  env.KAFKA_CLUSTER_HOME = clusterEnv.KAFKA_HOME_DIR;
  env.KAFKA_CLUSTER_PORT = clusterEnv.KAFKA_PORT;
}

console.log(`[test] ${files.length} test files${env.KAFKA_BROKERS ? `, Kafka at ${env.KAFKA_BROKERS}` : ''}`);
const concurrency = Math.max(1, Math.min(2, availableParallelism()));
// A file's process ends once its tests have: one whose tests all passed once stayed alive with an
// idle event loop (no timer, socket or request left to see) and held the suite for 14 minutes.
const child = spawn(process.execPath, ['--test', '--test-force-exit', `--test-concurrency=${concurrency}`, '--test-timeout=300000', '--test-reporter=spec', ...files], {
  cwd: root,
  env,
  stdio: 'inherit',
});
const stopKafka = () => {
  if (env.ORCH_KEEP_KAFKA === '1') return;
  if (startedKafka) spawnSync('bash', [join(root, 'deploy/kafka/kafka.sh'), 'down'], { stdio: 'inherit' });
  if (startedCluster) spawnSync('bash', [join(root, 'deploy/kafka/kafka.sh'), 'down'], { stdio: 'inherit', env: { ...env, ...clusterEnv } });
};
process.on('SIGINT', () => child.kill('SIGINT'));
child.on('exit', (code, signal) => {
  stopKafka();
  process.exit(code ?? (signal ? 1 : 0));
});
