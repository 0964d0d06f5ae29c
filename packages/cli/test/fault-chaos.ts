import { randomInt } from 'node:crypto';
import fc from 'fast-check';
import type { SpawnedRole } from '@orchestrator-lite/testing';
import type { Cluster } from './cluster-harness.js';
import { WORKLOAD_NAMES } from './fault-load.js';
import type { WorkloadName } from './fault-load.js';

/**
 * A seeded fault plan: which workloads are submitted in which order, and when which role is
 * killed with SIGKILL and for how long it stays down. The plan is drawn by fast-check from one
 * seed, so a failing run replays with ORCH_FAULT_SEED=<seed>.
 */

export type RoleKind = 'worker' | 'orchestrator' | 'gateway';

export interface Kill {
  role: RoleKind;
  /** Which of the live roles of that kind (modulo their number). */
  pick: number;
  /** Pause before the kill, counted from the previous restart. */
  afterMs: number;
  /** How long the role stays dead before it is started again. */
  downMs: number;
}

export interface FaultPlan {
  seed: number;
  kinds: WorkloadName[];
  kills: Kill[];
}

export const FAULT_SEED_ENV = 'ORCH_FAULT_SEED';

/** The seed from ORCH_FAULT_SEED, or a fresh random one. A bad value is an error naming the variable. */
export function faultSeed(): number {
  const raw = process.env[FAULT_SEED_ENV];
  if (raw === undefined || raw === '') return randomInt(0, 2 ** 31 - 1);
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`${FAULT_SEED_ENV}: must be an integer, got ${JSON.stringify(raw)}`);
  return seed;
}

export function drawPlan(seed: number, runs: number, kills: { min: number; max: number }): FaultPlan {
  if (kills.min < 3) throw new Error(`drawPlan: kills.min must be at least 3 (one per role), got ${kills.min}`);
  // Workers die most often, then orchestrators, the gateway least (it is alone in its role).
  const role = fc.constantFrom<RoleKind>('worker', 'worker', 'worker', 'orchestrator', 'orchestrator', 'gateway');
  const kill = fc.record({
    role,
    pick: fc.nat({ max: 9 }),
    afterMs: fc.integer({ min: 800, max: 3500 }),
    downMs: fc.integer({ min: 200, max: 2500 }),
  });
  const arbitrary = fc.record({
    kinds: fc.array(fc.constantFrom(...WORKLOAD_NAMES), { minLength: runs, maxLength: runs }),
    kills: fc.array(kill, { minLength: kills.min, maxLength: kills.max }),
  });
  const [plan] = fc.sample(arbitrary, { seed, numRuns: 1 });
  if (!plan) throw new Error('drawPlan: fast-check drew no plan');
  // Every workload and every role is hit at least once, whatever the draw; the gateway early,
  // while runs are still being submitted, so that answers lost with it are exercised.
  WORKLOAD_NAMES.forEach((k, i) => (plan.kinds[i * 7] = k));
  plan.kills[1]!.role = 'gateway';
  if (!plan.kills.some((k) => k.role === 'orchestrator')) plan.kills[2]!.role = 'orchestrator';
  if (!plan.kills.some((k) => k.role === 'worker')) plan.kills[0]!.role = 'worker';
  return { seed, kinds: plan.kinds, kills: plan.kills };
}

const alive = (role: SpawnedRole): boolean => role.child.exitCode === null && role.child.signalCode === null;

export function liveRoles(cluster: Cluster, kind: RoleKind): SpawnedRole[] {
  if (kind === 'gateway') return cluster.gateway && alive(cluster.gateway) ? [cluster.gateway] : [];
  return (kind === 'worker' ? cluster.workers : cluster.orchestrators).filter(alive);
}

export interface ChaosLog {
  at: number;
  role: string;
  pid: number;
  downMs: number;
  restartMs: number;
}

/**
 * Runs the kills of the plan one after another: waits, SIGKILLs one live role of the drawn kind,
 * keeps it down for its time, starts a fresh one and waits until it runs. One role at most is
 * down at a time, so each role keeps at least one live member except while the lone gateway is
 * down. `stop()` ends the loop early; it always ends after the last kill (bounded by the plan).
 */
export async function runChaos(cluster: Cluster, plan: FaultPlan, stop: () => boolean, onKill?: (entry: ChaosLog) => void): Promise<ChaosLog[]> {
  const log: ChaosLog[] = [];
  const started = Date.now();
  for (const kill of plan.kills) {
    await new Promise((r) => setTimeout(r, kill.afterMs));
    if (stop()) break;
    const candidates = liveRoles(cluster, kill.role);
    const victim = candidates[kill.pick % Math.max(1, candidates.length)];
    if (!victim) continue;
    victim.kill('SIGKILL');
    await victim.exited();
    await new Promise((r) => setTimeout(r, kill.downMs));
    const restartedAt = Date.now();
    if (kill.role === 'worker') await cluster.startWorker();
    else if (kill.role === 'orchestrator') await cluster.startOrchestrator();
    else await cluster.startGateway();
    const entry = { at: restartedAt - kill.downMs - started, role: victim.name, pid: victim.pid, downMs: kill.downMs, restartMs: Date.now() - restartedAt };
    log.push(entry);
    onKill?.(entry);
  }
  return log;
}
