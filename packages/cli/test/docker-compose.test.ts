/**
 * docker-compose.yml cannot be run here (no Docker daemon), so it is checked against the code:
 * the 3-node cluster is one quorum, the roles read only variables the config knows, and the
 * replicas are what the README promises.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '@orchestrator-lite/testing';
import { ENV } from '../src/config.js';

interface Service {
  image?: string;
  build?: { target?: string; dockerfile?: string };
  environment?: Record<string, string | number>;
  deploy?: { replicas?: number };
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const replicas = (name: string): number => services[name]?.deploy?.replicas ?? 1;

void test('three Kafka nodes form one KRaft quorum, each reachable from the host on its own port', () => {
  const nodes = ['kafka-1', 'kafka-2', 'kafka-3'].map((name) => ({ name, service: services[name]! }));
  const ids = new Set<string>();
  for (const [i, { name, service }] of nodes.entries()) {
    assert.ok(service, `${name} exists`);
    const env = service.environment!;
    assert.equal(String(env.KAFKA_NODE_ID), String(i + 1));
    ids.add(String(env.CLUSTER_ID));
    assert.equal(env.KAFKA_CONTROLLER_QUORUM_VOTERS, '1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093');
    assert.equal(String(env.KAFKA_MIN_INSYNC_REPLICAS), '2');
    assert.equal(String(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR), '3');
    const hostPort = 29092 + 2 * i;
    assert.match(String(env.KAFKA_ADVERTISED_LISTENERS), new RegExp(`PLAINTEXT://${name}:9092,HOST://127\\.0\\.0\\.1:${hostPort}`));
    assert.deepEqual(service.ports, [`127.0.0.1:${hostPort}:${hostPort}`]);
  }
  assert.equal(ids.size, 1, 'one cluster id');
});

void test('two gateways behind nginx, two orchestrators and two workers, all on the three brokers', () => {
  const dockerfile = readFileSync(join(repoRoot, 'deploy/docker/Dockerfile'), 'utf8');
  const known = new Set<string>([...Object.values(ENV), 'LOG_FORMAT']);
  const roles = Object.entries(services).filter(([, s]) => s.build?.dockerfile === 'deploy/docker/Dockerfile');
  const count = (target: string): number => roles.filter(([, s]) => s.build?.target === target).reduce((n, [name]) => n + replicas(name), 0);
  assert.equal(count('gateway'), 2);
  assert.equal(count('orchestrator'), 2);
  assert.equal(count('worker'), 2);
  for (const [name, service] of roles) {
    assert.match(dockerfile, new RegExp(`^FROM runtime AS ${service.build!.target}$`, 'm'), `${name}: its Dockerfile target exists`);
    const env = service.environment ?? {};
    assert.equal(env.KAFKA_BROKERS, 'kafka-1:9092,kafka-2:9092,kafka-3:9092', `${name} knows every broker`);
    for (const key of Object.keys(env)) {
      assert.ok(known.has(key) || key.startsWith('OTEL_'), `${name}: ${key} is read by the config (or is an OTEL_* variable)`);
    }
    assert.deepEqual(Object.keys(service.depends_on ?? {}).sort(), ['kafka-1', 'kafka-2', 'kafka-3']);
  }
  const ui = services.ui!;
  assert.equal(ui.environment?.ORCH_GATEWAY_UPSTREAM, 'gateway:8080', 'nginx proxies to the gateway service, which resolves to both replicas');
});
