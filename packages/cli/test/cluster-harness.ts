import { spawnRole, waitFor, waitForHttp } from '@orchestrator-lite/testing';
import type { CleanupContext, SpawnedRole } from '@orchestrator-lite/testing';
import { BIN, freePort, json, post, put } from './helpers.js';

/** One Orchestrator-lite deployment on Kafka: every role its own OS process, one topic prefix. */
export interface ClusterOptions {
  brokers: string[];
  /** ORCH_TOPIC_PREFIX: random per test, so tests can share a broker. */
  prefix: string;
  /** ORCH_PARTITIONS. @default 6 */
  partitions?: number;
  /** ORCH_WORKER_CONCURRENCY. @default 16 */
  concurrency?: number;
}

export interface Cluster {
  readonly options: ClusterOptions;
  readonly orchestrators: SpawnedRole[];
  readonly workers: SpawnedRole[];
  gateway: SpawnedRole | undefined;
  /** `http://127.0.0.1:PORT` of the gateway. */
  url: string;
  startOrchestrator(): Promise<SpawnedRole>;
  startWorker(): Promise<SpawnedRole>;
  startGateway(): Promise<SpawnedRole>;
  /** Every role's output, labelled, for failure messages. */
  tails(chars?: number): string;
}

const START_TIMEOUT_MS = 60_000;

export function createCluster(t: CleanupContext, options: ClusterOptions): Cluster {
  const orchestrators: SpawnedRole[] = [];
  const workers: SpawnedRole[] = [];
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    KAFKA_BROKERS: options.brokers.join(','),
    ORCH_TOPIC_PREFIX: options.prefix,
    ORCH_PARTITIONS: String(options.partitions ?? 6),
    ORCH_WORKER_CONCURRENCY: String(options.concurrency ?? 16),
    HOST: '127.0.0.1',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    ...extra,
  });
  const spawn = (name: string, args: string[], extra?: NodeJS.ProcessEnv): SpawnedRole =>
    spawnRole(t, { name, args: [BIN, ...args], env: env(extra), killTimeoutMs: 8000 });

  const cluster: Cluster = {
    options,
    orchestrators,
    workers,
    gateway: undefined,
    url: '',
    async startOrchestrator() {
      const role = spawn(`orchestrator-${orchestrators.length + 1}`, ['orchestrator']);
      orchestrators.push(role);
      await waitForRole(role, /orchestrator \S+ running/);
      return role;
    },
    async startWorker() {
      const role = spawn(`worker-${workers.length + 1}`, ['worker', '--demo']);
      workers.push(role);
      await waitForRole(role, /worker \S+ running the demo tasks/);
      return role;
    },
    async startGateway() {
      const port = await freePort();
      const role = spawn('gateway', ['gateway'], { PORT: String(port) });
      cluster.gateway = role;
      cluster.url = `http://127.0.0.1:${port}`;
      await Promise.race([
        waitForHttp(`${cluster.url}/readyz`, START_TIMEOUT_MS),
        role.exited().then((code) => { throw new Error(`gateway exited with ${code}:\n${role.output().slice(-3000)}`); }),
      ]);
      return role;
    },
    tails(chars = 1500) {
      const roles = [...orchestrators, ...workers, ...(cluster.gateway ? [cluster.gateway] : [])];
      return roles.map((r) => `--- ${r.name} (pid ${r.pid}) ---\n${r.output().slice(-chars)}`).join('\n');
    },
  };
  return cluster;
}

/** Waits for a role's "running" line; fails at once, with its output, if it exits first. */
async function waitForRole(role: SpawnedRole, pattern: RegExp): Promise<void> {
  await Promise.race([
    role.waitForOutput(pattern, START_TIMEOUT_MS),
    role.exited().then((code) => { throw new Error(`${role.name} exited with ${code} before it ran:\n${role.output().slice(-3000)}`); }),
  ]);
}

/** split → five parallel steps (echo and short sleeps) → join. */
export const fanOutWorkflow = {
  description: 'split, five parallel steps, join',
  steps: [
    { id: 'split', task: 'demo.echo', input: { n: '${input.n}' } },
    { id: 'p1', task: 'demo.echo', dependsOn: ['split'], input: { i: 1 } },
    { id: 'p2', task: 'demo.sleep', dependsOn: ['split'], input: { ms: 20, ticks: 1 } },
    { id: 'p3', task: 'demo.echo', dependsOn: ['split'], input: { i: 3 } },
    { id: 'p4', task: 'demo.sleep', dependsOn: ['split'], input: { ms: 40, ticks: 2 } },
    { id: 'p5', task: 'demo.echo', dependsOn: ['split'], input: { i: 5 } },
    {
      id: 'join',
      task: 'demo.echo',
      dependsOn: ['p1', 'p2', 'p3', 'p4', 'p5'],
      input: { n: '${steps.split.output.n}', p1: '${steps.p1.output.i}', p5: '${steps.p5.output.i}' },
    },
  ],
  output: '${steps.join.output}',
};
export const FAN_OUT_STEPS = fanOutWorkflow.steps.map((s) => s.id);

export async function registerWorkflow(url: string, name: string, definition: object): Promise<void> {
  const response = await put(`${url}/api/v1/workflows/${name}`, definition);
  if (response.status !== 201 && response.status !== 200) throw new Error(`registering ${name}: ${response.status} ${JSON.stringify(response.body)}`);
}

/**
 * POSTs `count` runs, `parallel` at a time; returns their ids in submission order. With
 * `perSecond`, run i is not posted before i / perSecond seconds have passed: the load is spread.
 */
export async function submitRuns(url: string, workflow: string, count: number, { parallel = 8, perSecond }: { parallel?: number; perSecond?: number } = {}): Promise<string[]> {
  const ids: string[] = new Array<string>(count);
  const started = Date.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const due = perSecond === undefined ? 0 : started + (i * 1000) / perSecond - Date.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      const response = await post(`${url}/api/v1/runs`, { workflow, input: { n: i } });
      if (response.status !== 202) throw new Error(`POST /runs #${i}: ${response.status} ${JSON.stringify(response.body)}`);
      ids[i] = String(response.body.runId);
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return ids;
}

export type Counts = Record<'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED', number>;

export async function runCounts(url: string, workflow: string): Promise<Counts> {
  const { status, body } = await json<{ counts: Counts }>(`${url}/api/v1/runs?workflow=${encodeURIComponent(workflow)}&limit=1`);
  if (status !== 200) throw new Error(`GET /runs: ${status}`);
  return body.counts;
}

/** Waits (bounded) until `expected` runs of `workflow` succeeded; fails early when one failed. */
export async function waitForSucceeded(cluster: Cluster, workflow: string, expected: number, timeoutMs: number): Promise<Counts> {
  let counts: Counts | undefined;
  await waitFor(async () => {
    counts = await runCounts(cluster.url, workflow);
    if (counts.FAILED > 0 || counts.CANCELLED > 0) throw new Error(`runs ended badly: ${JSON.stringify(counts)}`);
    return counts.SUCCEEDED >= expected;
  }, { timeoutMs, intervalMs: 250, description: `${expected} ${workflow} runs SUCCEEDED` }).catch(async (error: unknown) => {
    const stuck = await describeUnfinished(cluster.url, workflow).catch((e: unknown) => String(e));
    throw new Error(`${(error as Error).message}; last counts ${JSON.stringify(counts)}\n${stuck}\n${cluster.tails()}`, { cause: error });
  });
  return counts!;
}

/** A few unfinished runs with the status of each step and its attempts, for a failure message. */
async function describeUnfinished(url: string, workflow: string): Promise<string> {
  const { body } = await json<{ items: { runId: string }[] }>(`${url}/api/v1/runs?workflow=${encodeURIComponent(workflow)}&status=RUNNING&limit=3`);
  const lines: string[] = [];
  for (const { runId } of body.items) {
    const run = await json<{ steps: Record<string, { status: string; attempts: unknown[] }> }>(`${url}/api/v1/runs/${runId}`);
    const steps = Object.entries(run.body.steps).map(([id, s]) => `${id}=${s.status}/${s.attempts.length}`).join(' ');
    lines.push(`unfinished ${runId}: ${steps}`);
  }
  return lines.join('\n');
}

interface LogLine {
  msg?: string;
  partition?: number;
}

/** The JSON log lines of a role's output (after `from` characters) whose msg is `msg`. */
export function logLines(output: string, msg: string, from = 0): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of output.slice(from).split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as LogLine;
      if (parsed.msg === msg) lines.push(parsed);
    } catch {
      // a line cut by the buffer limit
    }
  }
  return lines;
}
