/**
 * The one-hop floor: Kafka's own `org.apache.kafka.tools.EndToEndLatency` (Java client, acks=all):
 * one record produced, consumed and timed, one at a time. From the `kafka-tools` jar of Maven
 * Central (fetched into ~/.m2 with `mvn dependency:get` when missing) on the classpath of the
 * broker's libs (BENCH_KAFKA_LIBS, else KAFKA_HOME_DIR/libs, else <repo>/.kafka/libs).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brokersFromEnv, deleteTopicsWithPrefix, randomPrefix } from '../lib/bus.mjs';

const VERSION = '4.1.1';
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const exec = (cmd, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} failed: ${error.message}\n${String(stderr).slice(-2000)}`));
      else resolve(`${stdout}\n${stderr}`);
    });
  });

async function toolsJar() {
  const jar = join(homedir(), '.m2/repository/org/apache/kafka/kafka-tools', VERSION, `kafka-tools-${VERSION}.jar`);
  if (!existsSync(jar)) await exec('mvn', ['-B', '-q', 'dependency:get', `-Dartifact=org.apache.kafka:kafka-tools:${VERSION}`, '-Dtransitive=false'], 300_000);
  if (!existsSync(jar)) throw new Error(`kafka-tools ${VERSION} is not in ~/.m2 after mvn dependency:get`);
  return jar;
}

function brokerLibs() {
  const candidates = [process.env.BENCH_KAFKA_LIBS, process.env.KAFKA_HOME_DIR && join(process.env.KAFKA_HOME_DIR, 'libs'), join(repoRoot, '.kafka/libs')];
  const found = candidates.find((dir) => dir && existsSync(join(dir, `kafka-clients-${VERSION}.jar`)));
  if (!found) throw new Error(`no Kafka ${VERSION} libs found (set BENCH_KAFKA_LIBS, or run deploy/kafka/kafka.sh up once)`);
  return found;
}

/** Parses "Avg latency: 0.6200 ms" and "Percentiles: 50th = 0, 99th = 4, 99.9th = 9". */
export function parseEndToEndLatency(output) {
  const avg = /Avg latency: ([\d.]+) ms/.exec(output);
  const pct = /Percentiles: 50th = (\d+), 99th = (\d+), 99\.9th = (\d+)/.exec(output);
  if (!avg || !pct) throw new Error(`EndToEndLatency printed no figures:\n${output.slice(-1500)}`);
  return { mean: Number(avg[1]), p50: Number(pct[1]), p99: Number(pct[2]), p999: Number(pct[3]) };
}

export async function run(o) {
  const brokers = brokersFromEnv();
  const prefix = randomPrefix('floor');
  const topic = `${prefix}latency`;
  const classpath = `${brokerLibs()}/*:${await toolsJar()}`;
  try {
    const output = await exec('java', ['-Xmx256m', '-cp', classpath, 'org.apache.kafka.tools.EndToEndLatency', brokers[0], topic, String(o.messages), 'all', String(o.messageBytes)], 240_000);
    const latency = parseEndToEndLatency(output);
    process.stderr.write(`  EndToEndLatency: mean ${latency.mean} ms, p50 ${latency.p50} ms, p99 ${latency.p99} ms (whole ms)\n`);
    return { tool: `org.apache.kafka.tools.EndToEndLatency ${VERSION}`, messages: o.messages, messageBytes: o.messageBytes, acks: 'all', latency };
  } finally {
    await deleteTopicsWithPrefix(brokers, prefix);
  }
}
