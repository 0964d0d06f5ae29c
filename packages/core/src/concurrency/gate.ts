/**
 * A concurrency gate: one per (workflow, concurrency key value), a pure reducer like the run's.
 * It holds the runs in flight with the key (`active`, at most `limit` unless the limit was
 * lowered) and the runs waiting for a slot (`waiting`, first come, first served), and answers
 * with commands for the runs: SlotGranted, SlotQueued, or a CancelRun that the policy asks for.
 *
 * Every input is idempotent: an AcquireSlot of a holder it already admitted grants again, a
 * ReleaseSlot of a holder it does not hold changes nothing. So a replayed input, or an answer
 * sent twice across a failover, never lets more than `limit` runs in.
 */
import type { ConcurrencyPolicy } from '../definition/types.js';
import type { AcquireSlot, CancelRun, Command, GateCommand, ReleaseSlot } from '../messages.js';

export interface GateHolder {
  runId: string;
  /** When it was admitted (active) or began waiting (waiting), epoch ms. */
  since: number;
  /** An active run the policy `cancelOldest` is cancelling: it keeps its slot until it ends. */
  cancelling?: boolean;
}

export interface GateState {
  id: string;
  workflow: string;
  key: string;
  limit: number;
  policy: ConcurrencyPolicy;
  active: GateHolder[];
  waiting: GateHolder[];
  /** Written by the orchestrator runtime, as for runs: the highest input offset applied per source. */
  applied?: Record<string, number>;
  stateVersion?: number;
}

export interface GateResult {
  /** The new state; undefined once the gate holds nobody (its record is deleted). */
  state: GateState | undefined;
  commands: Command[];
  /** False when the input changed nothing and produced nothing. */
  changed: boolean;
}

/** The id of the gate of a workflow's concurrency key value: the key of its commands. */
export function gateIdOf(workflow: string, key: string): string {
  return `concurrency/${workflow}/${key}`;
}

export function reduceGate(state: GateState | undefined, input: GateCommand, now: number): GateResult {
  if (input.type === 'ReleaseSlot') return release(state, input, now);
  return acquire(state, input, now);
}

function acquire(state: GateState | undefined, cmd: AcquireSlot, now: number): GateResult {
  // The requester's definition says the limit and policy: a new version changes them from here on.
  const g: GateState = state
    ? { ...state, active: [...state.active], waiting: [...state.waiting], limit: cmd.limit, policy: cmd.policy }
    : { id: cmd.runId, workflow: cmd.workflow, key: cmd.key, limit: cmd.limit, policy: cmd.policy, active: [], waiting: [] };
  const commands: Command[] = [];
  if (g.active.some((h) => h.runId === cmd.holder)) {
    commands.push(granted(g, cmd.holder, now));
    return { state: g, commands, changed: true };
  }
  if (g.waiting.some((h) => h.runId === cmd.holder)) return { state: state ?? g, commands, changed: false };
  if (g.policy === 'cancelNewest' && g.active.length >= g.limit) {
    commands.push(cancel(cmd.holder, `concurrency limit ${g.limit} reached for key "${g.key}" (policy cancelNewest)`, now));
    return { state: state === undefined ? undefined : g, commands, changed: true };
  }
  g.waiting.push({ runId: cmd.holder, since: now });
  pump(g, now, commands);
  const position = g.waiting.findIndex((h) => h.runId === cmd.holder);
  if (position >= 0) commands.push({ v: 1, type: 'SlotQueued', runId: cmd.holder, gate: g.id, reason: queuedReason(g, position), at: now });
  return { state: g, commands, changed: true };
}

function release(state: GateState | undefined, cmd: ReleaseSlot, now: number): GateResult {
  if (!state) return { state, commands: [], changed: false };
  const active = state.active.filter((h) => h.runId !== cmd.holder);
  const waiting = state.waiting.filter((h) => h.runId !== cmd.holder);
  if (active.length === state.active.length && waiting.length === state.waiting.length) return { state, commands: [], changed: false };
  const g: GateState = { ...state, active, waiting };
  const commands: Command[] = [];
  pump(g, now, commands);
  return { state: g.active.length === 0 && g.waiting.length === 0 ? undefined : g, commands, changed: true };
}

/** Admits waiting runs while slots are free; under `cancelOldest`, makes room for the rest. */
function pump(g: GateState, now: number, commands: Command[]): void {
  while (g.active.length < g.limit && g.waiting.length > 0) {
    const next = g.waiting.shift()!;
    g.active.push({ runId: next.runId, since: now });
    commands.push(granted(g, next.runId, now));
  }
  if (g.policy !== 'cancelOldest') return;
  let toFree = g.waiting.length - g.active.filter((h) => h.cancelling).length;
  const oldestFirst = g.active
    .map((h, index) => ({ h, index }))
    .filter(({ h }) => !h.cancelling)
    .sort((a, b) => a.h.since - b.h.since || a.index - b.index);
  for (const { h, index } of oldestFirst) {
    if (toFree <= 0) break;
    g.active[index] = { ...h, cancelling: true };
    commands.push(cancel(h.runId, `replaced by a newer run with concurrency key "${g.key}" (policy cancelOldest)`, now));
    toFree -= 1;
  }
}

function granted(g: GateState, runId: string, now: number): Command {
  return { v: 1, type: 'SlotGranted', runId, gate: g.id, at: now };
}

function cancel(runId: string, reason: string, now: number): CancelRun {
  return { v: 1, type: 'CancelRun', runId, reason, at: now };
}

function queuedReason(g: GateState, position: number): string {
  if (g.policy === 'cancelOldest') return `the oldest run with concurrency key "${g.key}" is being cancelled to make room (policy cancelOldest)`;
  const ahead = position === 0 ? 'next in line' : `${position} run${position === 1 ? '' : 's'} ahead`;
  return `${g.active.length} of ${g.limit} slot${g.limit === 1 ? '' : 's'} for concurrency key "${g.key}" taken; ${ahead}`;
}
