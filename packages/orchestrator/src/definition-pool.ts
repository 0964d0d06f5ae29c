import { createHash } from 'node:crypto';
import type { RunState, WorkflowDefinition } from '@orchestrator-lite/core';

/**
 * One definition object per distinct workflow definition, shared by every run of it, and its
 * digest: a snapshot names its definition by (workflow, version, digest), and the body is
 * stored once per partition under `definition/<digest>`.
 */
export class DefinitionPool {
  readonly #byDigest = new Map<string, WorkflowDefinition>();
  readonly #digests = new WeakMap<WorkflowDefinition, string>();

  /** The digest of a definition: 16 hex digits of the SHA-256 of its JSON. */
  digestOf(definition: WorkflowDefinition): string {
    let digest = this.#digests.get(definition);
    if (digest === undefined) {
      digest = createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 16);
      this.#digests.set(definition, digest);
    }
    return digest;
  }

  /** The shared copy of `definition` (the first one seen with its digest). */
  intern(definition: WorkflowDefinition): WorkflowDefinition {
    const digest = this.digestOf(definition);
    const shared = this.#byDigest.get(digest);
    if (shared !== undefined) return shared;
    this.#byDigest.set(digest, definition);
    return definition;
  }

  /** `state` with its definition replaced by the shared copy. */
  internRun(state: RunState): RunState {
    const shared = this.intern(state.definition);
    return shared === state.definition ? state : { ...state, definition: shared };
  }

  get(digest: string): WorkflowDefinition | undefined {
    return this.#byDigest.get(digest);
  }

  add(digest: string, definition: WorkflowDefinition): void {
    if (!this.#byDigest.has(digest)) {
      this.#byDigest.set(digest, definition);
      this.#digests.set(definition, digest);
    }
  }
}
