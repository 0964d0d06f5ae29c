/**
 * The dead-letter queue: list what was parked and why, and redrive it to where it came from.
 * Reads go straight to the `dlq` topic (both buses), a page at a time; nothing is held in memory.
 */
import { DEFAULT_REDRIVE_RATE, DlqListQuery, ErrorCode, OrchError, RedriveBody } from '@orchestrator-lite/core';
import type { ConsumedRecord, ProduceRecord } from '@orchestrator-lite/transport';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';
import { badParameter, parseRequest } from '../http-errors.js';
import { decodeStreamCursor, encodeStreamCursor } from '../stream-cursor.js';
import { readDeadLetters, redriveRecord, toItem } from '../dlq/dead-letters.js';
import { Redriver } from '../dlq/redriver.js';
import { dlqSchemas } from '../schemas/dlq.js';
import { parseLimit, principalOf } from './request.js';

/** The most dead letters one redrive request selects. */
export const MAX_REDRIVE = 10_000;
const SCAN_PAGE = 1000;

export function dlqRoutes(ctx: GatewayContext) {
  const { transport, names } = ctx;
  const topic = names.dlq;

  async function byIds(ids: string[]): Promise<ConsumedRecord[]> {
    const found: ConsumedRecord[] = [];
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const [partition, offset] = id.split('-').map(Number) as [number, number];
      let record: ConsumedRecord | undefined;
      if (partition < (await transport.partitionCount(topic))) {
        for await (const batch of transport.readPartition(topic, partition, { from: offset, to: offset + 1 })) record ??= batch.find((r) => r.offset === offset);
      }
      if (record === undefined) missing.push(id);
      else found.push(record);
    }
    if (missing.length > 0) throw new OrchError(ErrorCode.NotFound, `no dead letter with id ${missing.slice(0, 10).join(', ')}`, { field: 'ids', missing });
    return found;
  }

  async function scan(match: (record: ConsumedRecord) => boolean): Promise<ConsumedRecord[]> {
    const selected: ConsumedRecord[] = [];
    let position: number[] = [];
    for (;;) {
      const page = await readDeadLetters(transport, topic, position, SCAN_PAGE);
      for (const record of page.records) if (match(record) && selected.length < MAX_REDRIVE) selected.push(record);
      if (!page.more || selected.length >= MAX_REDRIVE) return selected;
      position = page.next;
    }
  }

  return async (app: FastifyInstance): Promise<void> => {
    const redriver = new Redriver({ transport, logger: ctx.logger });
    app.addHook('onClose', async () => redriver.close());

    app.get('/api/v1/dlq', { schema: dlqSchemas.list }, async (request) => {
      const query = parseRequest(DlqListQuery, request.query, 'query');
      const limit = parseLimit(query.limit);
      const partitions = await transport.partitionCount(topic);
      const position = query.cursor === undefined ? [] : decodeStreamCursor(query.cursor, partitions);
      if (position === undefined) throw badParameter('cursor', 'is not a cursor this API issued');
      const page = await readDeadLetters(transport, topic, position, limit);
      return { items: page.records.map(toItem), nextCursor: page.more ? encodeStreamCursor(page.next) : null };
    });

    app.post('/api/v1/dlq/redrive', { schema: dlqSchemas.redrive }, async (request, reply) => {
      const { ids, reason, topic: origin, ratePerSec } = parseRequest(RedriveBody, request.body, 'body');
      const matches = (record: ConsumedRecord): boolean => {
        const item = toItem(record);
        return (reason === undefined || item.reason.includes(reason)) && (origin === undefined || item.topic === origin);
      };
      const selected = ids === undefined ? await scan(matches) : (await byIds(ids)).filter(matches);
      const records = selected.map(redriveRecord).filter((r): r is ProduceRecord => r !== undefined);
      request.log.info({ redriven: records.length, ...(reason === undefined ? {} : { reason }), ...(origin === undefined ? {} : { topic: origin }), ...principalOf(request) }, 'dead letters redrive requested');
      if (records.length > 0) void redriver.start(records, ratePerSec ?? DEFAULT_REDRIVE_RATE);
      return reply.code(202).send({ redriven: records.length });
    });
  };
}
