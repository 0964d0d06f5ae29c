/** Describes the machine a result set was measured on. */
import { readdirSync } from 'node:fs';
import { cpus, loadavg, totalmem, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The Kafka version of the jars deploy/kafka/kafka.sh resolved, or KAFKA_VERSION for another broker. */
function kafkaVersion() {
  try {
    const libs = fileURLToPath(new URL('../../.kafka/libs', import.meta.url));
    const jar = readdirSync(libs).find((f) => /^kafka_2\.13-[\d.]+\.jar$/.test(f));
    if (jar) return jar.replace(/^kafka_2\.13-/, '').replace(/\.jar$/, '');
  } catch {
    // no local broker install: KAFKA_BROKERS points elsewhere
  }
  return process.env.KAFKA_VERSION ?? 'unknown (set KAFKA_VERSION)';
}

export function describeMachine() {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    kafka: kafkaVersion(),
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
