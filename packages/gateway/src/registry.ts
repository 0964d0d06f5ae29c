/**
 * The workflow registry: every registered version of every definition, projected from the
 * compacted `definitions` topic and updated at once by this gateway's own registrations.
 */
import type { RegisteredWorkflow, WorkflowSummary } from '@orchestrator-lite/core';

export type { WorkflowSummary } from '@orchestrator-lite/core';

export class WorkflowRegistry {
  private readonly byName = new Map<string, Map<number, RegisteredWorkflow>>();
  /** Per-name registration chain: registrations of one name run one at a time. */
  private readonly locks = new Map<string, Promise<unknown>>();

  /** Adds or replaces one version (the bus may replay a version this gateway already holds). */
  put(workflow: RegisteredWorkflow): void {
    let versions = this.byName.get(workflow.name);
    if (versions === undefined) {
      versions = new Map();
      this.byName.set(workflow.name, versions);
    }
    versions.set(workflow.version, workflow);
  }

  /** A tombstone on the compacted topic removes the version. */
  remove(name: string, version: number): void {
    const versions = this.byName.get(name);
    versions?.delete(version);
    if (versions?.size === 0) this.byName.delete(name);
  }

  latest(name: string): RegisteredWorkflow | undefined {
    const versions = this.byName.get(name);
    if (versions === undefined) return undefined;
    let best: RegisteredWorkflow | undefined;
    for (const workflow of versions.values()) if (best === undefined || workflow.version > best.version) best = workflow;
    return best;
  }

  /** Every registered version of every workflow. */
  *all(): IterableIterator<RegisteredWorkflow> {
    for (const versions of this.byName.values()) yield* versions.values();
  }

  get(name: string, version: number): RegisteredWorkflow | undefined {
    return this.byName.get(name)?.get(version);
  }

  /** The latest version of every workflow, by name. */
  list(): WorkflowSummary[] {
    const items: WorkflowSummary[] = [];
    for (const name of [...this.byName.keys()].sort()) {
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
   * Runs `fn` after every earlier call for the same name has settled, so two concurrent PUTs of
   * one name cannot both take version latest+1.
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
