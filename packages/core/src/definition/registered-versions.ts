import type { RegisteredWorkflow } from './types.js';

/** Why a lookup of `workflow` (at `version`, or its latest) found nothing, as every reader says it. */
export function unregisteredMessage(workflow: string, version?: number): string {
  return version === undefined ? `workflow ${JSON.stringify(workflow)} is not registered` : `workflow ${JSON.stringify(workflow)} has no version ${version}`;
}

/**
 * The registered versions of each workflow, as every reader of the definitions topic holds them
 * (the gateway's registry, the orchestrator's catalog). The first claim of `name@version` in log
 * order wins, so a later record of the version with another claim lost the race and changes
 * nothing; a replay of the winner (the same claim, or a record from before claims existed)
 * replaces it with itself. A tombstone, keyed `name@version`, removes the version.
 */
export class RegisteredVersions {
  readonly #byName = new Map<string, Map<number, RegisteredWorkflow>>();

  /** Applies one registration; false when it lost to the claim held. */
  put(workflow: RegisteredWorkflow): boolean {
    let versions = this.#byName.get(workflow.name);
    if (versions === undefined) {
      versions = new Map();
      this.#byName.set(workflow.name, versions);
    }
    const held = versions.get(workflow.version);
    if (held !== undefined && held.claim !== workflow.claim) return false;
    versions.set(workflow.version, workflow);
    return true;
  }

  remove(name: string, version: number): void {
    const versions = this.#byName.get(name);
    versions?.delete(version);
    if (versions?.size === 0) this.#byName.delete(name);
  }

  /** A tombstone's record key, `name@version`; a key of another shape removes nothing. */
  removeKey(key: string): void {
    const at = key.lastIndexOf('@');
    const version = Number(key.slice(at + 1));
    if (at > 0 && Number.isInteger(version)) this.remove(key.slice(0, at), version);
  }

  get(name: string, version: number): RegisteredWorkflow | undefined {
    return this.#byName.get(name)?.get(version);
  }

  latest(name: string): RegisteredWorkflow | undefined {
    const versions = this.#byName.get(name);
    if (versions === undefined) return undefined;
    let best: RegisteredWorkflow | undefined;
    for (const workflow of versions.values()) if (best === undefined || workflow.version > best.version) best = workflow;
    return best;
  }

  names(): IterableIterator<string> {
    return this.#byName.keys();
  }

  /** Every registered version of every workflow. */
  *all(): IterableIterator<RegisteredWorkflow> {
    for (const versions of this.#byName.values()) yield* versions.values();
  }
}
