#!/usr/bin/env node
// Runs every suite: unit, conformance (embedded and real Kafka), end-to-end and browser tests.
// Kafka: KAFKA_BROKERS when set; otherwise the local broker from deploy/kafka (Java + Maven),
// started here and stopped at the end if this script started it. Kafka suites never skip
// silently: without a broker they fail, unless ORCH_SKIP_KAFKA=1 says so out loud.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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

console.log(`[test] ${files.length} test files${env.KAFKA_BROKERS ? `, Kafka at ${env.KAFKA_BROKERS}` : ''}`);
const concurrency = Math.max(1, Math.min(2, availableParallelism()));
const child = spawn(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', '--test-reporter=spec', ...files], {
  cwd: root,
  env,
  stdio: 'inherit',
});
const stopKafka = () => {
  if (startedKafka && env.ORCH_KEEP_KAFKA !== '1') spawnSync('bash', [join(root, 'deploy/kafka/kafka.sh'), 'down'], { stdio: 'inherit' });
};
process.on('SIGINT', () => child.kill('SIGINT'));
child.on('exit', (code, signal) => {
  stopKafka();
  process.exit(code ?? (signal ? 1 : 0));
});
