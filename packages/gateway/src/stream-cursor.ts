/**
 * Opaque cursors: base64url of a small JSON value. Clients must treat them as opaque; the
 * gateway checks their shape on the way back in and reports a bad one as a bad parameter.
 */

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decode(text: string): unknown {
  if (text.length === 0 || text.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The per-partition next offsets of the `events` topic, as of one event. */
export function encodeStreamCursor(positions: readonly number[]): string {
  return encode({ p: positions });
}

/** Undefined when `text` is not a cursor this gateway issued (or one for another partition count). */
export function decodeStreamCursor(text: string, partitions: number): number[] | undefined {
  const value = decode(text);
  if (typeof value !== 'object' || value === null || !('p' in value)) return undefined;
  const p: unknown = value.p;
  if (!Array.isArray(p) || p.length !== partitions) return undefined;
  const out: number[] = [];
  for (const item of p as unknown[]) {
    if (typeof item !== 'number' || !Number.isSafeInteger(item) || item < 0) return undefined;
    out.push(item);
  }
  return out;
}

/** A position in the newest-first run list: the last item of the previous page. */
export interface RunListPosition {
  createdAt: number;
  runId: string;
}

export function encodeRunListCursor(position: RunListPosition): string {
  return encode([position.createdAt, position.runId]);
}

export function decodeRunListCursor(text: string): RunListPosition | undefined {
  const value = decode(text);
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [createdAt, runId] = value as unknown[];
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt) || typeof runId !== 'string') return undefined;
  return { createdAt, runId };
}
