/**
 * The workflow registry: every registered version of every definition, projected from the
 * compacted `definitions` topic.
 *
 * Versions are allocated by compare-and-set through that single-partition topic, so that several
 * gateways never hand out one number twice: a registration appends a *claim* of `name@N+1`, and
 * the first claim of a version in log order wins. Every reader applies the same rule to the same
 * log, so all gateways agree; a gateway whose claim lost learns it when the winner is projected
 * and tries N+2. Each claim has a key of its own (`name@version#claim`), so compaction never
 * drops a winner for a loser that came later.
 */
import { RegisteredVersions } from '@orchestrator-lite/core';
import type { RegisteredWorkflow, WorkflowSummary } from '@orchestrator-lite/core';

export type { WorkflowSummary } from '@orchestrator-lite/core';

/** The record key of one claim on the definitions topic. */
export function claimKey(name: string, version: number, claim: string): string {
  return `${name}@${version}#${claim}`;
}

export class WorkflowRegistry {
  private readonly versions = new RegisteredVersions();
  /** Per-name registration chain: registrations of one name in this process run one at a time. */
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Who waits for the winner of `name@version`. */
  private readonly waiters = new Map<string, Set<(workflow: RegisteredWorkflow) => void>>();

  /** Applies one record of the definitions topic (see `RegisteredVersions`), and wakes who waits for the version's winner. */
  put(workflow: RegisteredWorkflow): void {
    if (!this.versions.put(workflow)) return;
    const key = `${workflow.name}@${workflow.version}`;
    const waiting = this.waiters.get(key);
    if (waiting !== undefined) {
      this.waiters.delete(key);
      for (const wake of waiting) wake(workflow);
    }
  }

  /** A tombstone on the compacted topic, by its record key, removes the version. */
  removeKey(key: string): void {
    this.versions.removeKey(key);
  }

  latest(name: string): RegisteredWorkflow | undefined {
    return this.versions.latest(name);
  }

  /** Every registered version of every workflow. */
  all(): IterableIterator<RegisteredWorkflow> {
    return this.versions.all();
  }

  get(name: string, version: number): RegisteredWorkflow | undefined {
    return this.versions.get(name, version);
  }

  /** The winner of `name@version` once it is projected; undefined after `timeoutMs`. */
  winner(name: string, version: number, timeoutMs: number): Promise<RegisteredWorkflow | undefined> {
    const held = this.get(name, version);
    if (held !== undefined) return Promise.resolve(held);
    const key = `${name}@${version}`;
    return new Promise((resolve) => {
      const wake = (workflow: RegisteredWorkflow | undefined): void => {
        clearTimeout(timer);
        resolve(workflow);
      };
      const timer = setTimeout(() => {
        this.waiters.get(key)?.delete(wake);
        resolve(undefined);
      }, timeoutMs);
      let waiting = this.waiters.get(key);
      if (waiting === undefined) {
        waiting = new Set();
        this.waiters.set(key, waiting);
      }
      waiting.add(wake);
    });
  }

  /** The latest version of every workflow, by name. */
  list(): WorkflowSummary[] {
    const items: WorkflowSummary[] = [];
    for (const name of [...this.versions.names()].sort()) {
      const workflow = this.latest(name);
      if (workflow === undefined) continue;
      items.push({
        name: workflow.name,
        version: workflow.version,
        ...(workflow.definition.description === undefined ? {} : { description: workflow.definition.description }),
        steps: workflow.definition.steps.length,
        registeredAt: workflow.registeredAt,
      });
    }
    return items;
  }

  /**
   * Runs `fn` after every earlier call for the same name has settled: this process then never
   * races itself for a version (other gateways are settled by the claims).
   */
  async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(name) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(name, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(name) === settled) this.locks.delete(name);
    }
  }
}
