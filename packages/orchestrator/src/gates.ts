import { reduceGate, snapshotKeys } from '@orchestrator-lite/core';
import type { Command, GateCommand, GateRecord, GateState } from '@orchestrator-lite/core';
import type { PartitionOwner } from './partition-owner.js';

/** The inputs of a concurrency gate, which the orchestrator applies with reduceGate, not reduceRun. */
export function isGateCommand(input: { type: string }): input is GateCommand {
  return input.type === 'AcquireSlot' || input.type === 'ReleaseSlot';
}

/**
 * Applies one input to the gate it names, in memory, and returns the commands for runs it
 * produces, or undefined when it was a replay or changed nothing. The gate's new record is
 * written with the batch (gateWrites).
 */
export function applyGateInput(owner: PartitionOwner, input: GateCommand, source: string, offset: number, now: number): Command[] | undefined {
  const gate = owner.gates.get(input.runId);
  const appliedUpTo = gate?.applied?.[source];
  if (appliedUpTo !== undefined && offset <= appliedUpTo) return undefined;
  const result = reduceGate(gate, input, now);
  if (!result.changed) return undefined;
  if (result.state === undefined) owner.gates.delete(input.runId);
  else owner.gates.set(input.runId, { ...result.state, applied: { ...gate?.applied, [source]: offset }, stateVersion: (gate?.stateVersion ?? 0) + 1 });
  return result.commands;
}

/** The `orch.state` records of the gates a batch touched, in the states given: the whole gate, or a tombstone once it holds nobody. */
export function gateWrites(gates: ReadonlyMap<string, GateState | undefined>): { key: string; value: GateRecord | null }[] {
  return [...gates].map(([id, gate]) => ({ key: snapshotKeys.gate(id), value: gate === undefined ? null : { kind: 'gate', ...gate } }));
}
