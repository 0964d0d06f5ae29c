/**
 * Every error the REST API returns has one shape: `{ error: { code, message, details? } }`.
 * This module turns whatever was thrown (an OrchError, a Fastify framework error, a zod issue
 * list, a bug) into that shape with the right status. A bad request is always a 4xx; only an
 * unexpected exception is a 500.
 */
import { ErrorCode, OrchError, toErrorBody } from '@orchestrator-lite/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';

export interface ErrorResponse {
  status: number;
  body: ReturnType<typeof toErrorBody>;
}

function body(code: ErrorCode, message: string, details?: unknown): ErrorResponse['body'] {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && ('statusCode' in error || 'code' in error);
}

/** Maps any thrown value to a status and the error shape. */
export function toErrorResponse(error: unknown, bodyLimitBytes: number): ErrorResponse {
  if (error instanceof OrchError) return { status: error.httpStatus, body: toErrorBody(error) };
  if (isFastifyError(error)) {
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return { status: 413, body: body(ErrorCode.PayloadTooLarge, `request body exceeds the limit of ${bodyLimitBytes} bytes`, { field: 'body', limit: bodyLimitBytes }) };
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return { status: 415, body: body(ErrorCode.UnsupportedMediaType, 'unsupported content type; send application/json', { field: 'content-type' }) };
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return { status: 400, body: body(ErrorCode.BadRequest, 'the JSON body is empty', { field: 'body' }) };
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return { status: 400, body: body(ErrorCode.BadRequest, 'the content-length header does not match the body', { field: 'content-length' }) };
      default:
        break;
    }
    if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return { status: 400, body: body(ErrorCode.BadRequest, `malformed JSON body: ${error.message}`, { field: 'body' }) };
    }
    if (status === 413) return { status, body: body(ErrorCode.PayloadTooLarge, error.message) };
    if (status === 404) return { status, body: body(ErrorCode.NotFound, error.message) };
    if (status >= 400 && status < 500) return { status, body: body(ErrorCode.BadRequest, error.message) };
  }
  return { status: 500, body: body(ErrorCode.Internal, 'internal error') };
}

/** Fastify's setErrorHandler: logs 5xx as errors, 4xx at debug. */
export function makeErrorHandler(bodyLimitBytes: number) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    // A route may set its own body limit (POST /runs follows the payload limit).
    const { status, body } = toErrorResponse(error, request.routeOptions.bodyLimit ?? bodyLimitBytes);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.debug({ code: body.error.code, message: body.error.message }, 'request rejected');
    return reply.code(status).type('application/json').send(body);
  };
}

/** A 404; `field` names the part of the request that named what does not exist. */
export function notFound(what: string, field?: string): OrchError {
  return new OrchError(ErrorCode.NotFound, what, field === undefined ? undefined : { field });
}

export function badParameter(field: string, message: string): OrchError {
  return new OrchError(ErrorCode.BadRequest, `${field}: ${message}`, { field });
}

/** A request's body or query as its schema gives it, or a 400 naming the first field that failed. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw fromZodError(parsed.error, where);
  return parsed.data;
}

/** One zod failure as a 400 naming the field (and, for unknown fields, every unknown name). */
export function fromZodError(error: z.ZodError, where: 'body' | 'query'): OrchError {
  const issues = error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => (path ? `${path}.${k}` : k));
      return { path: keys.join(','), keys, message: `unknown field${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}` };
    }
    return { path: path || where, keys: [] as string[], message: `${path || where}: ${issue.message}` };
  });
  const first = issues[0];
  const field = first === undefined ? where : first.keys[0] ?? first.path;
  return new OrchError(ErrorCode.BadRequest, first?.message ?? `invalid ${where}`, {
    field,
    issues: issues.map(({ path, message }) => ({ path, message })),
  });
}
