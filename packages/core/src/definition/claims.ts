import type { RegisteredWorkflow } from './types.js';

/**
 * The rule every reader of the definitions topic applies: the first claim of `name@version` in log
 * order wins, so a later record of the version with another claim lost the race and changes
 * nothing. A replay of the winner (the same claim, or a record from before claims existed)
 * replaces it with itself.
 */
export function losesToHeldClaim(held: RegisteredWorkflow | undefined, incoming: RegisteredWorkflow): boolean {
  return held !== undefined && held.claim !== incoming.claim;
}
