import { ErrorCode, PayloadNeededError, containsClaimCheck, isOrchError, withPayloadResolver } from '@orchestrator-lite/core';
import type { ChildRunEnded, ClaimCheck, OrchError, ReduceResult, RunInput } from '@orchestrator-lite/core';
import type { PayloadStore } from '@orchestrator-lite/transport';
import { failedCompletion } from './record-limit.js';

/** Payloads one reduction may fetch before it is refused (a definition reads at most this many). */
const MAX_FETCHES_PER_REDUCTION = 64;
const LOAD_RETRY_MS = [100, 250, 500, 1000, 2000];

/**
 * The payloads the orchestrator has looked inside, kept by ref up to `maxBytes` (least recently
 * used out first): a template or condition reading the same output for many steps or items
 * fetches it once.
 */
export class PayloadCache {
  readonly #store: PayloadStore;
  readonly #maxBytes: number;
  readonly #values = new Map<string, { value: unknown; bytes: number }>();
  #bytes = 0;

  constructor(store: PayloadStore, maxBytes = 64 * 1024 * 1024) {
    this.#store = store;
    this.#maxBytes = maxBytes;
  }

  get(claim: ClaimCheck): { value: unknown } | undefined {
    const entry = this.#values.get(claim.$payload.ref);
    if (entry === undefined) return undefined;
    this.#values.delete(claim.$payload.ref);
    this.#values.set(claim.$payload.ref, entry);
    return entry;
  }

  /** Fetches a payload; a bus error is retried a few times, an unreadable payload is not. */
  async load(claim: ClaimCheck): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        const value = await this.#store.get(claim);
        this.#put(claim.$payload.ref, value, claim.$payload.bytes);
        return value;
      } catch (error) {
        if (isOrchError(error) || attempt >= LOAD_RETRY_MS.length) throw error;
        await new Promise((resolve) => setTimeout(resolve, LOAD_RETRY_MS[attempt]));
      }
    }
  }

  #put(ref: string, value: unknown, bytes: number): void {
    this.#values.set(ref, { value, bytes });
    this.#bytes += bytes;
    for (const [key, entry] of this.#values) {
      if (this.#bytes <= this.#maxBytes || key === ref) break;
      this.#values.delete(key);
      this.#bytes -= entry.bytes;
    }
  }
}

/**
 * The payload resolver of one reduction: the payloads pinned for it, else the cache; a payload in
 * neither throws PayloadNeededError. A hit is pinned, so that what the cache evicts while the
 * reduction waits for another fetch stays available to it.
 */
function resolverOf(cache: PayloadCache, pinned?: Map<string, unknown>): (claim: ClaimCheck) => unknown {
  return (claim) => {
    const ref = claim.$payload.ref;
    if (pinned?.has(ref)) return pinned.get(ref);
    const hit = cache.get(claim);
    if (hit === undefined) throw new PayloadNeededError(claim);
    pinned?.set(ref, hit.value);
    return hit.value;
  };
}

/**
 * Runs a reduction that may look inside claim-checked payloads. The reducer is synchronous: when
 * it needs a payload that is not loaded it throws, the payload is fetched, and the reduction runs
 * again from the same state (the reducer never edits its argument, so a rerun is the same
 * transition). The payloads fetched for one reduction stay available to it whatever the cache
 * evicts meanwhile.
 */
export async function reduceWithPayloads(cache: PayloadCache, reduce: () => ReduceResult): Promise<ReduceResult> {
  const pinned = new Map<string, unknown>();
  const lookup = resolverOf(cache, pinned);
  for (let fetched = 0; ; fetched++) {
    try {
      return withPayloadResolver(lookup, reduce);
    } catch (error) {
      if (!(error instanceof PayloadNeededError) || fetched >= MAX_FETCHES_PER_REDUCTION) throw error;
      pinned.set(error.claim.$payload.ref, await cache.load(error.claim));
    }
  }
}

/**
 * The reduction of an input when every payload it looks inside is cached already (most look
 * inside none), at once: nothing is awaited, so nothing is evicted meanwhile and nothing needs
 * pinning. Undefined when one must be fetched first (`reduceInput` then). A batch of inputs is
 * thus applied without an await chain per input.
 */
export function reduceCachedInput(cache: PayloadCache, input: RunInput, reduce: (input: RunInput) => ReduceResult): { result: ReduceResult } | undefined {
  try {
    return { result: withPayloadResolver(resolverOf(cache), () => reduce(input)) };
  } catch (error) {
    if (error instanceof PayloadNeededError) return undefined;
    throw error;
  }
}

export function isUnreadablePayload(error: unknown): error is OrchError {
  return isOrchError(error) && error.code === ErrorCode.PayloadUnreadable;
}

/**
 * Applies one input, fetching the payloads its transition looks inside. A payload that cannot be
 * read fails the step of a completion (non-retryable, naming the ref); any other input comes
 * back as `unreadable`, for the caller to dead-letter.
 */
export async function reduceInput(
  cache: PayloadCache,
  input: RunInput,
  reduce: (input: RunInput) => ReduceResult,
): Promise<{ result: ReduceResult } | { unreadable: OrchError }> {
  try {
    return { result: await reduceWithPayloads(cache, () => reduce(input)) };
  } catch (error) {
    if (!isUnreadablePayload(error)) throw error;
    if (input.type !== 'TaskCompleted') return { unreadable: error };
    try {
      const failed = failedCompletion(input, error.code, error.message);
      return { result: await reduceWithPayloads(cache, () => reduce(failed)) };
    } catch (again) {
      if (!isUnreadablePayload(again)) throw again;
      return { unreadable: again };
    }
  }
}

/**
 * A child's output as its parent keeps it: claim-checks the child owns are copied to the parent,
 * which outlives the child's retention. An output that cannot be read fails the parent's step.
 */
export async function adoptChildOutput(store: PayloadStore, input: ChildRunEnded): Promise<ChildRunEnded> {
  if (!containsClaimCheck(input.output)) return input;
  try {
    return { ...input, output: await store.adopt(input.output, input.runId) };
  } catch (error) {
    // A bus that fails is retried with the batch; a claim-check that names no readable payload fails the step.
    if (!isOrchError(error) || error.code === ErrorCode.Transport || error.code === ErrorCode.Unavailable) throw error;
    const { output: _output, ...ended } = input;
    return { ...ended, status: 'FAILED', error: { type: error.code, message: `the output of child run ${input.childRunId} cannot be read: ${error.message}`, nonRetryable: true } };
  }
}
