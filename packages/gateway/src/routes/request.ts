/**
 * The parts of a request that several routes read alike: a run id in the path, a page's limit
 * and other counts in the query, and who made the request for the audit lines.
 */
import { RunIdParams } from '@orchestrator-lite/core';
import type { FastifyRequest } from 'fastify';
import { badParameter } from '../http-errors.js';

/** The most items one page of a list holds. */
const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 50;

/** A non-negative integer query parameter, or a 400 naming it. */
export function parseNonNegativeInt(value: string, field: string): number {
  if (!/^[0-9]{1,15}$/.test(value)) throw badParameter(field, `must be a non-negative integer, got ${JSON.stringify(value.slice(0, 50))}`);
  return Number(value);
}

/** A list's `limit` query parameter: 50 when absent, else 1 to 1000, or a 400. */
export function parseLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const limit = parseNonNegativeInt(value, 'limit');
  if (limit < 1 || limit > MAX_LIMIT) throw badParameter('limit', `must be between 1 and ${MAX_LIMIT}`);
  return limit;
}

/** The `runId` path parameter, or a 400. */
export function parseRunId(params: unknown): string {
  const parsed = RunIdParams.safeParse(params);
  if (!parsed.success) throw badParameter('runId', 'must be 1 to 200 characters');
  return parsed.data.runId;
}

/** The caller's token name for audit lines, when auth is on. */
export function principalOf(request: FastifyRequest): { principal?: string } {
  return request.principal === null ? {} : { principal: request.principal.name };
}
