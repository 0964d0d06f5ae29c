/**
 * One closed set of error codes, one base class and one registry that maps each code to its
 * HTTP status. Every layer (REST, workers, the orchestrator) speaks these codes.
 */

export const ErrorCode = {
  BadRequest: 'ORCH_BAD_REQUEST',
  Validation: 'ORCH_VALIDATION',
  NotFound: 'ORCH_NOT_FOUND',
  Conflict: 'ORCH_CONFLICT',
  PayloadTooLarge: 'ORCH_PAYLOAD_TOO_LARGE',
  PayloadUnreadable: 'ORCH_PAYLOAD_UNREADABLE',
  UnsupportedMediaType: 'ORCH_UNSUPPORTED_MEDIA_TYPE',
  InvalidDefinition: 'ORCH_INVALID_DEFINITION',
  Expression: 'ORCH_EXPRESSION',
  Unauthorized: 'ORCH_UNAUTHORIZED',
  Forbidden: 'ORCH_FORBIDDEN',
  RateLimited: 'ORCH_RATE_LIMITED',
  Decode: 'ORCH_DECODE',
  SchemaVersion: 'ORCH_SCHEMA_VERSION',
  Timeout: 'ORCH_TIMEOUT',
  HeartbeatTimeout: 'ORCH_HEARTBEAT_TIMEOUT',
  Cancelled: 'ORCH_CANCELLED',
  TaskNotFound: 'ORCH_TASK_NOT_FOUND',
  Transport: 'ORCH_TRANSPORT',
  Config: 'ORCH_CONFIG',
  Unavailable: 'ORCH_UNAVAILABLE',
  Internal: 'ORCH_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
export const ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);

export interface ErrorRegistryEntry {
  /** The status the REST API answers with. A bad request is always a 4xx. */
  httpStatus: number;
  /** Whether the same operation may succeed if tried again unchanged. */
  retryable: boolean;
  description: string;
}

/**
 * Timeouts map to 504 rather than 408: 408 means the *client* was too slow to send its request,
 * while ours means a step (an upstream the engine waited on) did not finish in time.
 */
export const ERROR_REGISTRY: Readonly<Record<ErrorCode, ErrorRegistryEntry>> = Object.freeze({
  ORCH_BAD_REQUEST: { httpStatus: 400, retryable: false, description: 'The request is malformed: bad JSON, a bad query parameter or a missing field.' },
  ORCH_VALIDATION: { httpStatus: 400, retryable: false, description: 'The request is well-formed but a field holds an invalid value; details name the field.' },
  ORCH_NOT_FOUND: { httpStatus: 404, retryable: false, description: 'The workflow, version or run does not exist.' },
  ORCH_CONFLICT: { httpStatus: 409, retryable: false, description: 'The operation conflicts with the current state, e.g. an idempotency key reused with another body.' },
  ORCH_PAYLOAD_TOO_LARGE: { httpStatus: 413, retryable: false, description: 'The request body, a run input or a task output exceeds the configured limit (ORCH_MAX_PAYLOAD_BYTES for payloads); details name the field.' },
  ORCH_PAYLOAD_UNREADABLE: { httpStatus: 502, retryable: false, description: 'A claim-checked payload cannot be read back: chunks are missing from orch.payloads or do not match its sha256; the message names the ref.' },
  ORCH_UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, retryable: false, description: 'The request body has a content type the route does not accept; send application/json (or YAML for a definition).' },
  ORCH_INVALID_DEFINITION: { httpStatus: 422, retryable: false, description: 'The workflow definition is invalid; details.issues lists every problem with its path.' },
  ORCH_EXPRESSION: { httpStatus: 422, retryable: false, description: 'A CEL expression of a step (if, forEach, until) failed at run time or gave a value of the wrong type; the step fails.' },
  ORCH_UNAUTHORIZED: { httpStatus: 401, retryable: false, description: 'The request carries no valid credentials.' },
  ORCH_FORBIDDEN: { httpStatus: 403, retryable: false, description: 'The credentials do not allow this operation.' },
  ORCH_RATE_LIMITED: { httpStatus: 429, retryable: true, description: 'Too many requests; retry after the indicated delay.' },
  ORCH_DECODE: { httpStatus: 400, retryable: false, description: 'A record or body is not valid JSON or does not match its schema.' },
  ORCH_SCHEMA_VERSION: { httpStatus: 400, retryable: false, description: 'A well-formed record carries a schema version this build does not understand.' },
  ORCH_TIMEOUT: { httpStatus: 504, retryable: true, description: 'A step attempt exceeded its start-to-close timeout.' },
  ORCH_HEARTBEAT_TIMEOUT: { httpStatus: 504, retryable: true, description: 'A step attempt sent no heartbeat within its heartbeat timeout.' },
  ORCH_CANCELLED: { httpStatus: 409, retryable: false, description: 'The run or attempt was cancelled.' },
  ORCH_TASK_NOT_FOUND: { httpStatus: 404, retryable: false, description: 'No handler is registered for the task name on this worker.' },
  ORCH_TRANSPORT: { httpStatus: 503, retryable: true, description: 'The message bus failed to produce or consume a record.' },
  ORCH_CONFIG: { httpStatus: 500, retryable: false, description: 'The process configuration is invalid; details list every invalid field.' },
  ORCH_UNAVAILABLE: { httpStatus: 503, retryable: true, description: 'The service is starting, stopping or not ready.' },
  ORCH_INTERNAL: { httpStatus: 500, retryable: false, description: 'An unexpected internal error.' },
});

/**
 * The base class of every error the engine raises on purpose. `code`, `httpStatus`, `retryable`
 * and `details` are enumerable own properties, so they survive `JSON.stringify` and pino logging.
 */
export class OrchError extends Error {
  declare readonly code: ErrorCode;
  declare readonly httpStatus: number;
  declare readonly retryable: boolean;
  declare readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    const entry = ERROR_REGISTRY[code];
    // Assigned explicitly (not class fields) so that they are plain, enumerable own properties.
    Object.assign(this, {
      code,
      httpStatus: entry.httpStatus,
      retryable: entry.retryable,
      ...(details === undefined ? {} : { details }),
    });
    Object.defineProperty(this, 'name', { value: 'OrchError', enumerable: false, configurable: true, writable: true });
  }
}

/** What a thrown value says: an error's message, anything else as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isOrchError(err: unknown): err is OrchError {
  return err instanceof OrchError;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** The REST error shape. An error that is not an OrchError becomes ORCH_INTERNAL. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof OrchError) {
    return {
      error: {
        code: err.code,
        message: err.message,
        ...(err.details === undefined ? {} : { details: err.details }),
      },
    };
  }
  const message = errorMessage(err);
  return { error: { code: ErrorCode.Internal, message: message || 'internal error' } };
}

/** The HTTP status for any thrown value: the registry's for an OrchError, else 500. */
export function httpStatusOf(err: unknown): number {
  return err instanceof OrchError ? err.httpStatus : 500;
}
