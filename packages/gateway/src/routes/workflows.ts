/**
 * Workflow registration and lookup.
 *
 * Versioning: a PUT whose definition is identical (canonical JSON: keys sorted) to the latest
 * version answers 200 with that version; any other valid definition becomes the next version,
 * claimed on the compacted `definitions` topic (register.ts), and is visible here when answered.
 * Several gateways registering one name at once get consecutive versions, never the same one.
 */
import { ErrorCode, NameParams, OrchError, VersionQuery, checkPayloadSize, formatIssues, parseYamlValue, unregisteredMessage, validateDefinition } from '@orchestrator-lite/core';
import type { WorkflowDefinition } from '@orchestrator-lite/core';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';
import { assertBodyDepth, MAX_BODY_DEPTH } from '../body-depth.js';
import { requireCaughtUp } from '../bus.js';
import { registerDefinition } from '../register.js';
import { badParameter, notFound, parseRequest } from '../http-errors.js';
import { principalOf } from './request.js';
import { workflowSchemas } from '../schemas/workflows.js';

const YAML_TYPES = ['application/yaml', 'text/yaml', 'application/x-yaml'];


/**
 * Only parses: validation happens in the route, after the name from the path is filled in. A
 * syntax error, a tag or a key JSON could not hold is a malformed body (400), like malformed JSON;
 * a document whose aliases expand it past the body limit is 413, like a body over the limit.
 */
function parseYamlBody(text: string, bodyLimitBytes: number): unknown {
  const value = parseYamlValue(text, ErrorCode.BadRequest, { maxBytes: bodyLimitBytes, maxDepth: MAX_BODY_DEPTH });
  assertBodyDepth(value);
  return value;
}

/**
 * A literal input written into a step is dispatched with every run, so it is held to the same
 * limit as a run's input, at registration rather than when a worker's output limit trips.
 */
function assertStepInputsWithin(definition: WorkflowDefinition, limit: number): void {
  definition.steps.forEach((step, i) => {
    if (step.input !== undefined) checkPayloadSize(`steps[${i}].input`, step.input, limit);
  });
}

function parseName(params: unknown): string {
  const parsed = NameParams.safeParse(params);
  if (!parsed.success) throw badParameter('name', 'must be 1 to 200 characters');
  return parsed.data.name;
}

export function workflowRoutes(ctx: GatewayContext) {
  return async (app: FastifyInstance): Promise<void> => {
    // YAML is accepted for definitions only, so the parser lives in this plugin's scope.
    app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_request, text, done) => {
      try {
        done(null, parseYamlBody(String(text), ctx.config.bodyLimitBytes));
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)), undefined);
      }
    });

    app.put('/api/v1/workflows/:name', { schema: workflowSchemas.put }, async (request, reply) => {
      const name = parseName(request.params);
      const body: unknown = request.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new OrchError(ErrorCode.BadRequest, 'the body must be a workflow definition object', { field: 'body' });
      }
      const candidate: Record<string, unknown> = { ...(body as Record<string, unknown>) };
      if (candidate.name === undefined) candidate.name = name;
      else if (candidate.name !== name) {
        throw new OrchError(ErrorCode.BadRequest, `name in the body (${JSON.stringify(candidate.name)}) differs from the path (${JSON.stringify(name)})`, { field: 'name' });
      }
      const result = validateDefinition(candidate);
      if (!result.ok) {
        throw new OrchError(ErrorCode.InvalidDefinition, `invalid workflow definition: ${formatIssues(result.issues)}`, {
          issues: result.issues,
        });
      }
      const definition = result.definition;
      assertStepInputsWithin(definition, ctx.config.maxInputBytes);
      // The next version number depends on every version already on the bus.
      await requireCaughtUp(ctx, 'definitions');
      const { status, version } = await registerDefinition(ctx, name, definition);
      if (status === 201) request.log.info({ workflow: name, version, ...principalOf(request) }, 'workflow version registered');
      return reply.code(status).send({ name, version });
    });

    app.get('/api/v1/workflows', { schema: workflowSchemas.list }, async () => ({ items: ctx.registry.list() }));

    app.get('/api/v1/workflows/:name', { schema: workflowSchemas.get }, async (request) => {
      const name = parseName(request.params);
      const query = parseRequest(VersionQuery, request.query, 'query');
      const version = query.version === undefined ? undefined : Number(query.version);
      const workflow = version === undefined ? ctx.registry.latest(name) : ctx.registry.get(name, version);
      if (workflow === undefined) {
        throw notFound(unregisteredMessage(name, version));
      }
      const { claim: _claim, ...shown } = workflow;
      return shown;
    });
  };
}
