/**
 * The runs of a gateway's schedules: a firing starts its run as `POST /api/v1/runs` does, with the
 * firing's idempotency key; `overlap` looks at the previous firings' runs in the read model and
 * cancels them through the bus.
 */
import { encodeMessage, isTerminalRunStatus } from '@orchestrator-lite/core';
import type { CancelRun } from '@orchestrator-lite/core';
import type { GatewayContext } from '../context.js';
import { submitRun } from '../submit-run.js';
import type { ScheduleRunOps } from './scheduler.js';

export function scheduleRunOps(ctx: GatewayContext, now: () => number): ScheduleRunOps {
  return {
    ready: () => ctx.isReady(),
    startRun: async (spec, idempotencyKey) =>
      submitRun(ctx, { workflow: spec.workflow, ...(spec.version === undefined ? {} : { version: spec.version }), input: spec.input, idempotencyKey }),
    activeRuns: async (runIds) => {
      const views = await Promise.all(runIds.map((runId) => ctx.readModel.getRun(runId)));
      return runIds.filter((_runId, i) => {
        const status = views[i]?.status;
        return status !== undefined && !isTerminalRunStatus(status);
      });
    },
    cancelRun: async (runId, reason) => {
      const command: CancelRun = { v: 1, type: 'CancelRun', runId, reason, at: now() };
      await ctx.transport.produce([{ topic: ctx.names.commands, key: runId, value: encodeMessage(command) }]);
    },
  };
}
