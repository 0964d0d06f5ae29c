/**
 * OpenAPI 3.1 from the routes' own schemas. Every route declares JSON Schemas derived from the
 * zod schemas its handler validates with (see schemas/); @fastify/swagger collects them as the
 * routes register, and GET /api/v1/openapi.json serves the document.
 *
 * The declared schemas describe; they do not validate or serialize. Handlers validate with zod,
 * which gives the one error shape with the offending field named, and responses are plain
 * JSON.stringify, so a field the schema does not list is never silently dropped.
 */
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

const API_VERSION = '1.0.0';

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Orchestrator-lite REST API',
        version: API_VERSION,
        description: 'Workflows, runs, schedules and the dead-letter queue. Errors: {error:{code,message,details}}.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token, when the gateway has tokens configured.' } },
      },
      security: [{ bearer: [] }],
    },
    // The UI's static files and anything else without a tag stay out of the API document.
    hideUntagged: true,
  });
}

/** Serves the document; registered after every other route so that it lists them all. */
export function openApiRoute(schema: object) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/v1/openapi.json', { schema }, async () => app.swagger());
  };
}
