/**
 * A deployment of the engine on Kafka with every role its own OS process (`orch orchestrator`,
 * `orch gateway`, `orch worker --demo`), under its own topic prefix, for the benchmarks that
 * need real processes: scaling with worker processes, and recovery after a kill -9.
 */
import { fileURLToPath } from 'node:url';
import { freePort, randomPrefix, spawnRole, waitFor, waitForHttp } from '@orchestrator-lite/testing';

const BIN = fileURLToPath(new URL('../../packages/cli/dist/src/bin.js', import.meta.url));

export async function request(url, method = 'GET', body) {
  const response = await fetch(url, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** `steps` demo steps in a row: demo.echo, or demo.sleep {ms} when `sleepMs` > 0. */
export function chainWorkflow(steps, sleepMs = 0) {
  return {
    description: `${steps} ${sleepMs > 0 ? `demo.sleep ${sleepMs} ms` : 'demo.echo'} steps in a row`,
    steps: Array.from({ length: steps }, (_, i) => ({
      id: `s${i + 1}`,
      task: sleepMs > 0 ? 'demo.sleep' : 'demo.echo',
      ...(i > 0 ? { dependsOn: [`s${i}`] } : {}),
      input: sleepMs > 0 ? { ms: sleepMs, ticks: 1 } : { i },
    })),
  };
}

/** POSTs `count` runs through 16 lanes; returns their ids. */
export async function submit(url, name, count) {
  const ids = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      const { status, body } = await request(`${url}/api/v1/runs`, 'POST', { workflow: name, input: {} });
      if (status !== 202) throw new Error(`POST /api/v1/runs: ${status} ${JSON.stringify(body)}`);
      ids.push(body.runId);
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  return ids;
}

export async function succeeded(url, name, expected, timeoutMs) {
  await waitFor(async () => {
    const { body } = await request(`${url}/api/v1/runs?workflow=${name}&limit=1`);
    if (body.counts.FAILED > 0) throw new Error(`runs failed: ${JSON.stringify(body.counts)}`);
    return body.counts.SUCCEEDED >= expected;
  }, { timeoutMs, intervalMs: 50, description: `${expected} runs of ${name} SUCCEEDED` });
}

/**
 * Starts `orchestrators` orchestrator processes, a gateway and `workers` worker processes, and
 * waits until each says it runs. `stop()` ends them all.
 */
export async function startDeployment({ brokers, workers = 1, orchestrators = 1, partitions = 6, concurrency = 16, label = 'bench' }) {
  const cleanups = [];
  const ctx = { after: (fn) => cleanups.push(fn) };
  const env = {
    KAFKA_BROKERS: brokers.join(','),
    ORCH_TOPIC_PREFIX: randomPrefix(label),
    ORCH_PARTITIONS: String(partitions),
    ORCH_WORKER_CONCURRENCY: String(concurrency),
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
  };
  const stop = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    const orchestratorRoles = Array.from({ length: orchestrators }, (_, i) => spawnRole(ctx, { name: `orchestrator-${i + 1}`, args: [BIN, 'orchestrator'], env: { ...env, LOG_LEVEL: 'info' } }));
    await Promise.all(orchestratorRoles.map((role) => role.waitForOutput(/orchestrator \S+ running/, 60_000)));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const gateway = spawnRole(ctx, { name: 'gateway', args: [BIN, 'gateway'], env: { ...env, PORT: String(port) } });
    const workerRoles = Array.from({ length: workers }, (_, i) => spawnRole(ctx, { name: `worker-${i + 1}`, args: [BIN, 'worker', '--demo'], env: { ...env, LOG_LEVEL: 'info' } }));
    await Promise.all([waitForHttp(`${url}/readyz`, 60_000), ...workerRoles.map((w) => w.waitForOutput(/worker \S+ running the demo tasks/, 60_000))]);
    return { url, env, orchestrators: orchestratorRoles, gateway, workers: workerRoles, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
