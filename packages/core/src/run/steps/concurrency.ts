/**
 * A run under a workflow's concurrency key: it evaluates the key when it starts, asks the key's
 * gate for a slot and waits PENDING until it gets one, and gives the slot back when it ends.
 * The gate itself is concurrency/gate.ts.
 */
import { gateIdOf } from '../../concurrency/gate.js';
import type { ConcurrencySpec } from '../../definition/types.js';
import { DEFINITION_LIMITS } from '../../definition/defaults.js';
import { evaluateCel } from '../../expression/cel.js';
import { ErrorCode } from '../../errors.js';
import { resolveClaims } from '../../payload.js';
import type { ErrorInfo, SlotGranted, SlotQueued } from '../../messages.js';
import { TERMINAL_RUN_STATUSES, type Draft } from '../draft.js';
import type { RunStatus } from '../types.js';

export type KeyOutcome = { ok: true; key: string } | { ok: false; error: ErrorInfo };

/** The value of `concurrency.key` for a run: a string, number or boolean, as a string. */
export function concurrencyKeyOf(spec: ConcurrencySpec, input: unknown, run: { id: string; workflow: string }): KeyOutcome {
  const fail = (message: string): KeyOutcome => ({ ok: false, error: { type: ErrorCode.Expression, message: `concurrency.key: ${message}`, nonRetryable: true } });
  const outcome = evaluateCel(spec.key, { input: resolveClaims(input ?? null), run });
  if (!outcome.ok) return fail(outcome.message);
  const value = outcome.value;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    return fail(`must give a string, number or boolean, got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}`);
  }
  const key = String(value);
  const max = DEFINITION_LIMITS.maxConcurrencyKeyLength;
  if (key.length > max) return fail(`gave a value of ${key.length} characters, over the limit of ${max}`);
  return { ok: true, key };
}

/** The run waits, PENDING, for a slot: it asks the gate of its key. */
export function requestSlot(d: Draft, spec: ConcurrencySpec, key: string): void {
  const policy = spec.policy ?? 'queue';
  const reason = `waiting for a slot: at most ${spec.limit} run${spec.limit === 1 ? '' : 's'} with concurrency key "${key}" at once`;
  d.state.status = 'PENDING';
  d.state.concurrencyKey = key;
  d.state.queued = { key, limit: spec.limit, policy, reason, since: d.now };
  d.emit('RunQueued', { key, limit: spec.limit, policy, reason });
  d.commands.push({
    v: 1,
    type: 'AcquireSlot',
    runId: gateIdOf(d.state.workflow, key),
    holder: d.state.runId,
    workflow: d.state.workflow,
    key,
    limit: spec.limit,
    policy,
    at: d.now,
  });
}

/** The gate let the run in; true when it was waiting (the caller then advances it). */
export function slotGranted(d: Draft, cmd: SlotGranted): boolean {
  const queued = d.state.queued;
  if (d.state.status !== 'PENDING' || queued === undefined || cmd.gate !== gateIdOf(d.state.workflow, queued.key)) return false;
  d.state.status = 'RUNNING';
  delete d.state.queued;
  d.emit('RunAdmitted', { key: queued.key, waitedMs: Math.max(0, d.now - queued.since) });
  return true;
}

/** The gate says why the run still waits. */
export function slotQueued(d: Draft, cmd: SlotQueued): void {
  const queued = d.state.queued;
  if (d.state.status !== 'PENDING' || queued === undefined || cmd.gate !== gateIdOf(d.state.workflow, queued.key) || queued.reason === cmd.reason) return;
  d.state.queued = { ...queued, reason: cmd.reason };
  d.emit('RunQueued', { key: queued.key, limit: queued.limit, policy: queued.policy, reason: cmd.reason });
}

/** When a run under a key has just ended, it gives its slot (or its place in the queue) back. */
export function releaseSlot(d: Draft, before: RunStatus): void {
  const key = d.state.concurrencyKey;
  if (key === undefined || TERMINAL_RUN_STATUSES.has(before) || !TERMINAL_RUN_STATUSES.has(d.state.status)) return;
  delete d.state.queued;
  d.commands.push({ v: 1, type: 'ReleaseSlot', runId: gateIdOf(d.state.workflow, key), holder: d.state.runId, at: d.now });
}
