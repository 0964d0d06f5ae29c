import { waitFor } from '@orchestrator-lite/testing';
import { fanOutWorkflow, runCounts } from './cluster-harness.js';
import type { Counts } from './cluster-harness.js';
import { json } from './helpers.js';
import type { RunBody } from './helpers.js';

/**
 * Workloads with a known correct outcome, and a submitter that keeps going through gateway
 * restarts and bus outages. Every POST carries an idempotency key, so a request whose answer was
 * lost (the gateway died mid-request) is simply sent again and answered for the same run.
 */

export const WORKLOADS = {
  /** split → five parallel steps → join: succeeds, every step once. */
  fan: { definition: fanOutWorkflow, expect: 'SUCCEEDED' },
  /** Fails twice, then succeeds on attempt 3. */
  flaky: {
    definition: {
      description: 'fails twice, then succeeds',
      steps: [
        { id: 'f', task: 'demo.flaky', input: { failTimes: 2, n: '${input.n}' }, retry: { maxAttempts: 5, initialIntervalMs: 50, backoffCoefficient: 2, maxIntervalMs: 400, jitter: 'full' } },
        { id: 'g', task: 'demo.echo', dependsOn: ['f'], input: { attempt: '${steps.f.output.succeededOnAttempt}' } },
      ],
      output: '${steps.g.output}',
    },
    expect: 'SUCCEEDED',
  },
  /** Always fails: three attempts, then the run fails and its successor is skipped. */
  doomed: {
    definition: {
      description: 'always fails after three attempts',
      steps: [
        { id: 'd', task: 'demo.fail', retry: { maxAttempts: 3, initialIntervalMs: 50, backoffCoefficient: 2, maxIntervalMs: 400, jitter: 'equal' } },
        { id: 'after', task: 'demo.echo', dependsOn: ['d'] },
      ],
    },
    expect: 'FAILED',
  },
  /** A non-retryable failure: one attempt, then the run fails. */
  reject: {
    definition: {
      description: 'non-retryable failure',
      steps: [{ id: 'r', task: 'demo.fail', input: { nonRetryable: true, message: 'rejected' }, retry: { maxAttempts: 5, initialIntervalMs: 50 } }],
    },
    expect: 'FAILED',
  },
} as const;
export type WorkloadName = keyof typeof WORKLOADS;
export const WORKLOAD_NAMES = Object.keys(WORKLOADS) as WorkloadName[];

/** What the outcome of one finished run of `kind` must be; returns the problems (empty when correct). */
export function checkOutcome(kind: WorkloadName, run: RunBody & { input?: { n?: number } }): string[] {
  const p: string[] = [];
  const id = run.runId;
  const expected = WORKLOADS[kind].expect;
  if (run.status !== expected) return [`${id} (${kind}): status ${run.status}, expected ${expected}`];
  const step = (s: string) => run.steps[s];
  switch (kind) {
    case 'fan':
      if (JSON.stringify(run.output) !== JSON.stringify({ n: run.input?.n, p1: 1, p5: 5 })) p.push(`${id} (fan): output ${JSON.stringify(run.output)}`);
      for (const [s, v] of Object.entries(run.steps)) if (v.status !== 'SUCCEEDED') p.push(`${id} (fan): step ${s} is ${v.status}`);
      break;
    case 'flaky':
      if (step('f')?.attempts.length !== 3) p.push(`${id} (flaky): step f made ${step('f')?.attempts.length} attempts, expected 3`);
      if (JSON.stringify(run.output) !== JSON.stringify({ attempt: 3 })) p.push(`${id} (flaky): output ${JSON.stringify(run.output)}`);
      break;
    case 'doomed':
      if (step('d')?.status !== 'FAILED' || step('d')?.attempts.length !== 3) p.push(`${id} (doomed): step d ${step('d')?.status} after ${step('d')?.attempts.length} attempts, expected FAILED after 3`);
      if (step('after')?.status !== 'SKIPPED') p.push(`${id} (doomed): step after is ${step('after')?.status}, expected SKIPPED`);
      break;
    case 'reject':
      if (step('r')?.status !== 'FAILED' || step('r')?.attempts.length !== 1) p.push(`${id} (reject): step r ${step('r')?.status} after ${step('r')?.attempts.length} attempts, expected FAILED after 1`);
      break;
  }
  return p;
}

export interface Accepted {
  runId: string;
  kind: WorkloadName;
  /** 202 (written now) or 200 (the run existed: an earlier answer was lost). */
  status: number;
}

export interface SubmitOptions {
  /** The gateway's current URL: it changes when the gateway restarts. */
  url: () => string;
  kinds: readonly WorkloadName[];
  /** Prefix of the idempotency keys. */
  keyPrefix: string;
  /** Requests in flight. @default 4 */
  parallel?: number;
  /** Pause between two requests of one lane, to spread the load over time. @default 0 */
  paceMs?: number;
  /** Spread the submissions evenly over this long: run i is not sent before i × spreadOverMs / count. @default 0 */
  spreadOverMs?: number;
  /** Give up on one run after this long without an answer. @default 90000 */
  perRunTimeoutMs?: number;
  onError?: (message: string) => void;
}

/**
 * Submits one run per entry of `kinds` and returns those the gateway accepted, in order. A failed
 * request (connection refused or reset, 5xx, 503 during a bus outage) is retried, bounded in time.
 * A 4xx is a bug, and throws.
 */
export async function submitMix(o: SubmitOptions): Promise<{ accepted: Accepted[]; retries: number }> {
  const accepted: Accepted[] = new Array<Accepted>(o.kinds.length);
  let next = 0;
  let retries = 0;
  const started = Date.now();
  const lane = async (): Promise<void> => {
    while (next < o.kinds.length) {
      const i = next++;
      const kind = o.kinds[i]!;
      const notBefore = started + Math.floor((i * (o.spreadOverMs ?? 0)) / o.kinds.length);
      if (notBefore > Date.now()) await new Promise((r) => setTimeout(r, notBefore - Date.now()));
      const deadline = Date.now() + (o.perRunTimeoutMs ?? 90_000);
      for (let tries = 0; ; tries++) {
        if (Date.now() > deadline) throw new Error(`run #${i} (${kind}) was not accepted within ${o.perRunTimeoutMs ?? 90_000} ms`);
        const response = await json<{ runId?: string }>(`${o.url()}/api/v1/runs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ workflow: kind, input: { n: i }, idempotencyKey: `${o.keyPrefix}-${i}` }),
          signal: AbortSignal.timeout(10_000),
        }).catch((error: unknown) => ({ status: 0, body: { error: String(error) } as { runId?: string } }));
        if ((response.status === 202 || response.status === 200) && response.body.runId) {
          accepted[i] = { runId: response.body.runId, kind, status: response.status };
          break;
        }
        if (response.status >= 400 && response.status < 500) throw new Error(`POST /runs #${i}: ${response.status} ${JSON.stringify(response.body)}`);
        retries += 1;
        if (tries === 0) o.onError?.(`POST #${i}: ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`);
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** tries, 1000)));
      }
      if (o.paceMs) await new Promise((r) => setTimeout(r, o.paceMs));
    }
  };
  await Promise.all(Array.from({ length: o.parallel ?? 4 }, lane));
  return { accepted, retries };
}

/** GETs every run (`parallel` at a time), retrying a failed request; returns them by runId. */
export async function fetchRuns(url: string, runIds: readonly string[], parallel = 8): Promise<Map<string, RunBody & { input?: { n?: number } }>> {
  const runs = new Map<string, RunBody & { input?: { n?: number } }>();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < runIds.length) {
      const runId = runIds[next++]!;
      for (let tries = 0; tries < 5; tries++) {
        const { status, body } = await json<RunBody & { input?: { n?: number } }>(`${url}/api/v1/runs/${runId}`).catch(() => ({ status: 0, body: undefined }));
        if (status === 200 && body) {
          runs.set(runId, body);
          break;
        }
        if (status === 404) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return runs;
}

/** The accepted runs the gateway does not know or still shows unfinished, with how each was answered. */
async function describeUnfinished(url: string, accepted: readonly Accepted[]): Promise<string> {
  const runs = await fetchRuns(url, accepted.map((a) => a.runId)).catch(() => undefined);
  if (runs === undefined) return '';
  const lines = accepted.flatMap((a) => {
    const run = runs.get(a.runId);
    if (run !== undefined && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) return [];
    return [`${a.runId} (${a.kind}, answered ${a.status}): ${run === undefined ? 'unknown to the gateway' : run.status}`];
  });
  return lines.length === 0 ? '' : `\nunfinished (${lines.length}):\n${lines.slice(0, 20).join('\n')}`;
}

/**
 * Waits (bounded) until the gateway counts, per workflow, as many finished runs as were accepted
 * and none unfinished. `url` is read on every poll (the gateway may have moved).
 */
export async function waitForFinished(url: () => string, accepted: readonly Accepted[], timeoutMs: number): Promise<Record<string, Counts>> {
  const expected = new Map<string, number>();
  for (const a of accepted) expected.set(a.kind, (expected.get(a.kind) ?? 0) + 1);
  let last: Record<string, Counts> = {};
  await waitFor(async () => {
    const counts: Record<string, Counts> = {};
    for (const kind of expected.keys()) counts[kind] = await runCounts(url(), kind);
    last = counts;
    return [...expected].every(([kind, n]) => {
      const c = counts[kind]!;
      return c.PENDING + c.RUNNING === 0 && c.SUCCEEDED + c.FAILED + c.CANCELLED >= n;
    });
  }, { timeoutMs, intervalMs: 500, description: 'every accepted run finished' }).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}; last counts ${JSON.stringify(last)}${await describeUnfinished(url(), accepted)}`, { cause: error });
  });
  return last;
}
