/** Request and response shapes of the workflow routes. */
import { z } from 'zod';

export const NameParams = z.object({ name: z.string().min(1).max(200) });
export const VersionQuery = z.object({
  version: z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, 'must be a positive integer')
    .optional()
    .meta({ description: 'An older version; default the latest.' }),
});

/** PUT /api/v1/workflows/{name}: 201 for a new version, 200 for an identical body. */
export const RegisteredResponse = z.object({ name: z.string(), version: z.number().int().min(1) });
export type RegisteredResponse = z.infer<typeof RegisteredResponse>;

/** An item of GET /api/v1/workflows. */
export const WorkflowSummary = z.object({
  name: z.string(),
  version: z.number().int(),
  description: z.string().optional(),
  steps: z.number().int(),
  registeredAt: z.number(),
});
export type WorkflowSummary = z.infer<typeof WorkflowSummary>;

/** GET /api/v1/workflows */
export const WorkflowListResponse = z.object({ items: z.array(WorkflowSummary) });
export type WorkflowListResponse = z.infer<typeof WorkflowListResponse>;
