/**
 * Starting many runs in one request (POST /api/v1/runs/batch), as a backfill or a fan-in of
 * events would: what a request costs over HTTP is paid once for all of them.
 *
 * Every start is checked as a single one is (its input's size, its workflow and version
 * registered) before any is written, so a request that names an unknown workflow or an oversize
 * input starts nothing, and its error names the item (`runs.3.workflow`). The checked starts are
 * then written together, and each answers for itself: its run (new, or the one its idempotency
 * key names), or what kept it from starting (a key reused with another input, the bus refusing
 * the write).
 */
import { OrchError, isOrchError, toErrorBody } from '@orchestrator-lite/core';
import type { StartRunBody, StartRunsItem } from '@orchestrator-lite/core';
import type { GatewayContext } from './context.js';
import { checkStart, submitRun } from './submit-run.js';
import type { CheckedStart } from './submit-run.js';

export interface SubmitRunsResult {
  items: StartRunsItem[];
  /** Runs this request created. */
  created: number;
  /** Items that started no run. */
  failed: number;
}

/** The error of item `index`, its field and message prefixed with the item's path. */
function atItem(error: OrchError, index: number): OrchError {
  const details = typeof error.details === 'object' && error.details !== null ? (error.details as Record<string, unknown>) : {};
  const field = typeof details.field === 'string' ? `runs.${index}.${details.field}` : `runs.${index}`;
  return new OrchError(error.code, `runs.${index}: ${error.message}`, { ...details, field });
}

async function checkAll(ctx: GatewayContext, starts: readonly StartRunBody[]): Promise<CheckedStart[]> {
  const checked: CheckedStart[] = [];
  for (const [index, start] of starts.entries()) {
    try {
      checked.push(await checkStart(ctx, start));
    } catch (error) {
      throw isOrchError(error) ? atItem(error, index) : error;
    }
  }
  return checked;
}

type Outcome = { item: StartRunsItem; error?: OrchError };

async function submitOne(ctx: GatewayContext, start: StartRunBody, checked: CheckedStart, headers: Record<string, string> | undefined): Promise<Outcome> {
  try {
    const result = await submitRun(ctx, { ...start, ...(headers === undefined ? {} : { headers }), conflictOnDifferentBody: true }, checked);
    return { item: { runId: result.runId, status: result.status, created: result.created } };
  } catch (error) {
    if (!isOrchError(error)) throw error;
    return { item: toErrorBody(error), error };
  }
}

/**
 * Checks every start, then writes them. Rejects with the first item that fails its checks, and
 * with the first item's error when no item started or named a run: such a request answers as
 * that start would alone.
 */
export async function submitRuns(ctx: GatewayContext, starts: readonly StartRunBody[], headers?: Record<string, string>): Promise<SubmitRunsResult> {
  const checked = await checkAll(ctx, starts);
  const outcomes = await Promise.all(starts.map((start, index) => submitOne(ctx, start, checked[index]!, headers)));
  let created = 0;
  let failed = 0;
  for (const { item, error } of outcomes) {
    if (error !== undefined) failed++;
    else if ('created' in item && item.created) created++;
  }
  const firstError = outcomes[0]?.error;
  if (failed === outcomes.length && firstError !== undefined) throw atItem(firstError, 0);
  return { items: outcomes.map((outcome) => outcome.item), created, failed };
}
