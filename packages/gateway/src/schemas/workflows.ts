/** The workflow routes, documented from core's shapes. */
import { NameParams, RegisteredResponse, RegisteredWorkflowSchema, VersionQuery, WorkflowDefinitionSchema, WorkflowListResponse } from '@orchestrator-lite/core';
import { route, toJsonSchema } from './json-schema.js';

/** The name may come from the path alone, so the body's `name` is optional here. */
const definitionBody = (() => {
  const json = toJsonSchema(WorkflowDefinitionSchema, 'input');
  const required = Array.isArray(json.required) ? (json.required as string[]).filter((k) => k !== 'name') : [];
  return { ...json, required, description: 'A workflow definition, as JSON or YAML (application/yaml); `name` defaults to the path.' };
})();

export const workflowSchemas = {
  put: route({ summary: 'Register a workflow definition', tag: 'workflows', params: NameParams, body: definitionBody, ok: { 200: RegisteredResponse, 201: RegisteredResponse }, errors: [413, 422] }),
  list: route({ summary: 'The latest version of every workflow', tag: 'workflows', ok: { 200: WorkflowListResponse } }),
  get: route({ summary: 'A workflow definition', tag: 'workflows', params: NameParams, query: VersionQuery, ok: { 200: RegisteredWorkflowSchema.omit({ claim: true }) }, errors: [404] }),
};
