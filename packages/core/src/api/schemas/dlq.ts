/** Request and response shapes of the dead-letter routes. */
import { z } from 'zod';
import { queryString } from './common.js';

export const DlqListQuery = z.object({
  limit: queryString('1..1000, default 50.'),
  cursor: queryString('The nextCursor of the previous page.'),
});

export const MAX_REDRIVE_RATE = 10_000;
export const DEFAULT_REDRIVE_RATE = 100;

/** POST /api/v1/dlq/redrive */
export const RedriveBody = z
  .strictObject({
    ids: z.array(z.string().regex(/^\d+-\d+$/, 'must be a dead-letter id as listed (`<partition>-<offset>`)')).min(1).max(10_000).optional(),
    reason: z.string().min(1).max(1000).optional().meta({ description: 'Dead letters whose reason contains this text.' }),
    topic: z.string().min(1).max(249).optional().meta({ description: 'Dead letters that came from this topic.' }),
    ratePerSec: z.number().int().min(1).max(MAX_REDRIVE_RATE).optional().meta({ description: `Records per second; default ${DEFAULT_REDRIVE_RATE}.` }),
  })
  .refine((b) => b.ids !== undefined || b.reason !== undefined || b.topic !== undefined, {
    message: 'name the dead letters to redrive: ids, reason or topic',
    path: ['ids'],
  });
export type RedriveBody = z.infer<typeof RedriveBody>;

/** One record parked on the dead-letter topic, with why and where from. */
export const DeadLetterItem = z.object({
  id: z.string().meta({ description: 'The position on the dead-letter topic, `<partition>-<offset>`.' }),
  topic: z.string().nullable().meta({ description: 'The topic it was consumed from.' }),
  partition: z.number().int().nullable(),
  offset: z.number().int().nullable(),
  key: z.string(),
  reason: z.string(),
  at: z.number().nullable().meta({ description: 'When it was dead-lettered, epoch ms.' }),
  value: z.unknown().meta({ description: 'JSON where it decodes; otherwise text (valueEncoding utf8) or base64; null for a tombstone.' }),
  valueEncoding: z.enum(['utf8', 'base64']).optional(),
  bytes: z.number().int(),
});
export type DeadLetterItem = z.infer<typeof DeadLetterItem>;

/** GET /api/v1/dlq */
export const DlqPageResponse = z.object({ items: z.array(DeadLetterItem), nextCursor: z.string().nullable() });
export type DlqPageResponse = z.infer<typeof DlqPageResponse>;

/** POST /api/v1/dlq/redrive: 202 */
export const RedriveResponse = z.object({ redriven: z.number().int().meta({ description: 'How many records the redrive produces.' }) });
export type RedriveResponse = z.infer<typeof RedriveResponse>;
