/**
 * Claim-checks: a payload (a run input, a task input, a step output) over the inline limit is
 * written once, as chunks on the compacted `orch.payloads` topic, and the message that would have
 * carried it carries `{ $payload: { ref, bytes, sha256 } }` instead.
 *
 * The ref names where the chunks are, so any reader fetches them on either bus (Kafka has no
 * get-by-key): `<partition>.<first offset>.<last offset>.<id>`. The chunks of one payload are the
 * records keyed `<id>/<index>` between those offsets of that partition.
 *
 * The run reducer is pure and synchronous, so it cannot fetch. Where it must look inside a value
 * (a template that picks a field, a CEL expression) it asks the resolver installed around the
 * reduction (`withPayloadResolver`); the default one throws `PayloadNeededError`, and the caller
 * fetches the payload and reduces again. A whole value passed through stays a claim-check.
 */
import { createHash } from 'node:crypto';
import { ErrorCode, OrchError } from './errors.js';

export interface PayloadRef {
  /** `<partition>.<first offset>.<last offset>.<id>` on the payloads topic. */
  ref: string;
  /** Length of the payload's UTF-8 JSON. */
  bytes: number;
  /** Hex SHA-256 of those bytes. */
  sha256: string;
}

/** What a message carries in place of a claim-checked value. */
export interface ClaimCheck {
  $payload: PayloadRef;
}

export interface ParsedRef {
  partition: number;
  first: number;
  last: number;
  id: string;
}

/** The limits of payloads; the environment variables that set them live in each role's config. */
export const PAYLOAD_DEFAULTS = Object.freeze({
  /** Above this many bytes of JSON a payload is claim-checked. */
  inlineBytes: 256 * 1024,
  /** Bytes of one chunk record: well under Kafka's default 1 MiB record limit. */
  chunkBytes: 256 * 1024,
  /** Above this a run input gets 413 and a task output fails its attempt. */
  maxBytes: 10 * 1024 * 1024,
});

export const PAYLOAD_ENV = Object.freeze({
  maxBytes: 'ORCH_MAX_PAYLOAD_BYTES',
  inlineBytes: 'ORCH_PAYLOAD_INLINE_BYTES',
});

const REF = /^(\d{1,6})\.(\d{1,15})\.(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/;
const SHA256 = /^[0-9a-f]{64}$/;

export function formatRef(r: ParsedRef): string {
  return `${r.partition}.${r.first}.${r.last}.${r.id}`;
}

/** The parts of a ref, or undefined when it is not one this engine writes. */
export function parseRef(ref: string): ParsedRef | undefined {
  const m = REF.exec(ref);
  if (!m) return undefined;
  const [partition, first, last] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (last < first) return undefined;
  return { partition, first, last, id: m[4]! };
}

/** Whether a value is a claim-check: exactly `{ $payload: { ref, bytes, sha256 } }`. */
export function isClaimCheck(v: unknown): v is ClaimCheck {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  if (keys.length !== 1 || keys[0] !== '$payload') return false;
  const p = (v as { $payload: unknown }).$payload;
  if (typeof p !== 'object' || p === null) return false;
  const { ref, bytes, sha256 } = p as Record<string, unknown>;
  return typeof ref === 'string' && typeof bytes === 'number' && typeof sha256 === 'string' && SHA256.test(sha256);
}

/** Whether a value holds a claim-check anywhere inside it. */
export function containsClaimCheck(v: unknown): boolean {
  if (isClaimCheck(v)) return true;
  if (Array.isArray(v)) return v.some(containsClaimCheck);
  if (typeof v === 'object' && v !== null) return Object.values(v).some(containsClaimCheck);
  return false;
}

/** Every claim-check inside a value, outermost first. */
export function claimChecksIn(v: unknown, into: ClaimCheck[] = []): ClaimCheck[] {
  if (isClaimCheck(v)) into.push(v);
  else if (Array.isArray(v)) for (const x of v) claimChecksIn(x, into);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) claimChecksIn(x, into);
  return into;
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A payload's bytes as it is measured, hashed and stored: its UTF-8 JSON. */
export function payloadBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value === undefined ? null : value), 'utf8');
}

/**
 * A payload's bytes, or a 413 naming `field` when they are over `limit`: every check of a
 * request's payload against its limit (a run's input, a signal's payload, a step's literal input).
 */
export function checkPayloadSize(field: string, value: unknown, limit: number): Buffer {
  const bytes = payloadBytes(value);
  if (bytes.length > limit) {
    throw new OrchError(ErrorCode.PayloadTooLarge, `${field} is ${bytes.length} bytes serialized; the limit is ${limit}`, { field, limit, size: bytes.length });
  }
  return bytes;
}

/** Thrown by the default resolver: the reduction needs this payload; fetch it and reduce again. */
export class PayloadNeededError extends Error {
  readonly claim: ClaimCheck;
  constructor(claim: ClaimCheck) {
    super(`payload ${claim.$payload.ref} is needed and not loaded`);
    this.claim = claim;
  }
}

/** A payload that cannot be read back: missing chunks, or bytes that do not match its sha256. */
export function payloadUnreadable(ref: string, reason: string, missing = false): OrchError {
  return new OrchError(ErrorCode.PayloadUnreadable, `payload ${ref}: ${reason}`, { ref, ...(missing ? { missing } : {}) });
}

export type PayloadResolver = (claim: ClaimCheck) => unknown;

const needPayload: PayloadResolver = (claim) => {
  throw new PayloadNeededError(claim);
};
let current: PayloadResolver = needPayload;

/**
 * Runs `fn` (synchronous) with `resolve` answering claim-checks that templates and expressions
 * look into. Synchronous code cannot interleave, so a module-level slot is enough.
 */
export function withPayloadResolver<T>(resolve: PayloadResolver, fn: () => T): T {
  const previous = current;
  current = resolve;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/** The value of a claim-check through the installed resolver; any other value as it is. */
export function resolveClaim(v: unknown): unknown {
  return isClaimCheck(v) ? current(v) : v;
}

/** A value with every claim-check inside it resolved (the value itself when it holds none). */
export function resolveClaims(v: unknown): unknown {
  if (!containsClaimCheck(v)) return v;
  const value = resolveClaim(v);
  if (Array.isArray(value)) return value.map(resolveClaims);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, resolveClaims(x)]));
  return value;
}
