import type { RunListResponse, RunResponse, StartRunBody, StartRunResponse } from '@orchestrator-lite/core';
import { api, follow } from './client.js';
import type { GatewayTarget } from './client.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** `orch run <workflow> --input '{...}' [--wait]`: exits 0 when the run succeeds (or without --wait, once accepted). */
export async function runCommand(gateway: GatewayTarget, workflow: string, options: { input?: string; version?: string; idempotencyKey?: string; wait: boolean; timeoutMs: number }): Promise<number> {
  let input: unknown;
  if (options.input !== undefined) {
    try {
      input = JSON.parse(options.input);
    } catch (error) {
      throw new Error(`--input: not valid JSON: ${(error as Error).message}`);
    }
  }
  const body: StartRunBody = {
    workflow,
    ...(input === undefined ? {} : { input }),
    ...(options.version === undefined ? {} : { version: Number(options.version) }),
    ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
  };
  const accepted = await api<StartRunResponse, StartRunBody>(gateway, 'POST', '/api/v1/runs', body);
  out(`run ${accepted.runId} accepted (${accepted.status})`);
  if (!options.wait) return 0;
  const status = await follow(gateway, accepted.runId, out, options.timeoutMs);
  const run = await api<RunResponse>(gateway, 'GET', `/api/v1/runs/${accepted.runId}`);
  out(`run ${run.runId} ${status}`);
  out(JSON.stringify(status === 'SUCCEEDED' ? run.output : run.error, null, 2));
  return status === 'SUCCEEDED' ? 0 : 1;
}

export async function listRuns(gateway: GatewayTarget, filters: { status?: string; workflow?: string; limit?: string }): Promise<void> {
  const query = new URLSearchParams(Object.entries(filters).filter((e): e is [string, string] => e[1] !== undefined));
  const page = await api<RunListResponse>(gateway, 'GET', `/api/v1/runs?${query}`);
  out(`${'RUN'.padEnd(38)}${'WORKFLOW'.padEnd(20)}${'STATUS'.padEnd(11)}UPDATED`);
  for (const run of page.items) {
    out(`${run.runId.padEnd(38)}${`${run.workflow}@${run.version}`.padEnd(20)}${run.status.padEnd(11)}${new Date(run.updatedAt).toISOString()}`);
  }
  if (page.items.length === 0) out('(no runs)');
}

export async function showRun(gateway: GatewayTarget, runId: string): Promise<void> {
  const run = await api<RunResponse>(gateway, 'GET', `/api/v1/runs/${encodeURIComponent(runId)}`);
  out(`run ${run.runId}  ${run.workflow}@${run.version}  ${run.status}`);
  for (const [stepId, step] of Object.entries(run.steps)) {
    const attempts = step.attempts.map((a) => `#${a.attempt} ${a.status}${a.error ? ` (${a.error.message})` : ''}`).join(', ');
    out(`  ${stepId.padEnd(16)}${step.status.padEnd(11)}${attempts}`);
  }
  if (run.output !== undefined) out(`output: ${JSON.stringify(run.output)}`);
  if (run.error) out(`error: ${run.error.type}: ${run.error.message}`);
}
