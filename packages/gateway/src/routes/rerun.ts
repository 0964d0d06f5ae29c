/**
 * Rerun from a step: a new run of the same workflow version in which every step not downstream
 * of `fromStep` that had SUCCEEDED starts SUCCEEDED with its earlier output (a StepReused event
 * each), and `fromStep` and everything after it run again, with the new input if one is given.
 */
import { ErrorCode, OrchError, RerunBody, downstreamOf } from '@orchestrator-lite/core';
import type { RerunResponse, RunReuse } from '@orchestrator-lite/core';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';
import { requireRunForWrite } from '../bus.js';
import { badParameter, parseRequest } from '../http-errors.js';
import { isTerminal } from '../read-model.js';
import { submitRun } from '../submit-run.js';
import { traceHeaders } from '../tracing.js';
import { rerunSchemas } from '../schemas/rerun.js';
import { parseRunId, principalOf } from './request.js';

export function rerunRoutes(ctx: GatewayContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/api/v1/runs/:runId/rerun', { schema: rerunSchemas.rerun }, async (request, reply) => {
      const runId = parseRunId(request.params);
      const { fromStep, input, priority } = parseRequest(RerunBody, request.body, 'body');
      const view = await requireRunForWrite(ctx, runId);
      if (!isTerminal(view.status)) {
        throw new OrchError(ErrorCode.Conflict, `run ${JSON.stringify(view.runId)} is ${view.status}; only a finished run can be rerun`, { status: view.status });
      }
      if (!view.definition.steps.some((s) => s.id === fromStep)) {
        throw badParameter('fromStep', `run ${view.runId} has no step ${JSON.stringify(fromStep)} (steps: ${view.definition.steps.map((s) => s.id).join(', ')})`);
      }
      const rerun = downstreamOf(view.definition, fromStep);
      const reuse: RunReuse = { fromRunId: view.runId, fromStep, steps: {} };
      for (const step of view.definition.steps) {
        const earlier = view.steps[step.id];
        if (rerun.has(step.id) || earlier?.status !== 'SUCCEEDED') continue;
        reuse.steps[step.id] = earlier.output === undefined ? {} : { output: earlier.output };
      }
      const result = await submitRun(ctx, {
        workflow: view.workflow,
        version: view.version,
        input: input === undefined ? view.input : input,
        reuse,
        ...(priority === undefined ? {} : { priority }),
        ...traceHeaders(request),
      });
      const reused = Object.keys(reuse.steps);
      request.log.info({ runId: result.runId, rerunOf: view.runId, fromStep, reused, ...principalOf(request) }, 'run rerun from a step');
      return reply.code(202).send({ runId: result.runId, reused } satisfies RerunResponse);
    });
  };
}
