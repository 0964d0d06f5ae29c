/** Writes to the bus on behalf of a request. */
import { ErrorCode, OrchError, errorMessage } from '@orchestrator-lite/core';
import type { RunView } from '@orchestrator-lite/core';
import type { ProduceRecord, RecordMetadata, Transport } from '@orchestrator-lite/transport';
import { notFound } from './http-errors.js';

/**
 * Produces and waits for the acknowledgement. A bus failure is the server's problem, not the
 * client's: it becomes 503 ORCH_TRANSPORT (retryable), never a 4xx and never a bare 500.
 */
export async function produceForRequest(transport: Transport, records: ProduceRecord[]): Promise<RecordMetadata[]> {
  try {
    return await transport.produce(records);
  } catch (error) {
    throw new OrchError(ErrorCode.Transport, 'the message bus did not accept the write; retry later', {
      reason: errorMessage(error),
    });
  }
}

/** How long a write waits for the projections to catch up after a start before answering 503. */
export const CATCH_UP_WAIT_MS = 10_000;

/** Throws 503 ORCH_UNAVAILABLE when the projection has not caught up within CATCH_UP_WAIT_MS. */
export async function requireCaughtUp(ctx: { whenCaughtUp(what: 'definitions' | 'all', timeoutMs: number): Promise<boolean> }, what: 'definitions' | 'all'): Promise<void> {
  if (!(await ctx.whenCaughtUp(what, CATCH_UP_WAIT_MS))) {
    throw new OrchError(ErrorCode.Unavailable, 'the gateway is still loading state from the bus; retry shortly');
  }
}

/**
 * The run a write acts on. The read store resumes from its checkpoint, so after a restart it
 * already holds every run but the last moments': only a run it does not know waits (bounded) for
 * the catch-up, so writes see no 503 window beyond opening the store. A run submitted here whose
 * StartRun is still being written waits for that write, so what acts on the run goes on the bus
 * after it, and fails with it.
 */
export async function findRunForWrite(
  ctx: {
    readonly readModel: { getRun(runId: string): Promise<RunView | undefined>; whenWritten(runId: string): Promise<void> };
    isCaughtUp(): boolean;
    whenCaughtUp(what: 'definitions' | 'all', timeoutMs: number): Promise<boolean>;
  },
  runId: string,
): Promise<RunView | undefined> {
  const view = await ctx.readModel.getRun(runId);
  if (view !== undefined) {
    await ctx.readModel.whenWritten(runId);
    return view;
  }
  if (ctx.isCaughtUp()) return undefined;
  await requireCaughtUp(ctx, 'all');
  return ctx.readModel.getRun(runId);
}

/** The run a write acts on (as `findRunForWrite`), or a 404 naming it. */
export async function requireRunForWrite(ctx: Parameters<typeof findRunForWrite>[0], runId: string): Promise<RunView> {
  const view = await findRunForWrite(ctx, runId);
  if (view === undefined) throw notFound(`run ${JSON.stringify(runId)} does not exist`);
  return view;
}
