/**
 * Registers a definition under the next free version of its name, by compare-and-set through the
 * single-partition `definitions` topic (see registry.ts): append a claim of latest+1, wait until
 * the projection shows who won that version, and try the next one if another gateway did.
 */
import { randomUUID } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import { ErrorCode, OrchError, encodeMessage } from '@orchestrator-lite/core';
import type { RegisteredWorkflow, WorkflowDefinition } from '@orchestrator-lite/core';
import type { GatewayContext } from './context.js';
import { produceForRequest } from './bus.js';
import { claimKey } from './registry.js';

/** How many versions one registration may lose to other gateways before it gives up (503). */
const MAX_CLAIMS = 20;
/** How long a claim waits for the projection to show the winner of its version. */
const CLAIM_WAIT_MS = 10_000;

function canonical(definition: WorkflowDefinition): string {
  return stringify(definition) ?? '';
}

export interface Registration {
  /** 201 when this call created the version, 200 when the latest version already had this body. */
  status: 200 | 201;
  version: number;
}

export async function registerDefinition(ctx: GatewayContext, name: string, definition: WorkflowDefinition): Promise<Registration> {
  return ctx.registry.exclusive(name, async () => {
    for (let tries = 0; tries < MAX_CLAIMS; tries++) {
      const latest = ctx.registry.latest(name);
      if (latest !== undefined && canonical(latest.definition) === canonical(definition)) return { status: 200, version: latest.version };
      const claim = randomUUID();
      const registered: RegisteredWorkflow = { name, version: (latest?.version ?? 0) + 1, definition, registeredAt: ctx.now(), claim };
      const key = claimKey(name, registered.version, claim);
      await produceForRequest(ctx.transport, [{ topic: ctx.names.definitions, key, value: encodeMessage(registered) }]);
      const winner = await ctx.registry.winner(name, registered.version, CLAIM_WAIT_MS);
      if (winner === undefined) {
        throw new OrchError(ErrorCode.Unavailable, 'the registration was written but not yet read back from the bus; retry shortly');
      }
      if (winner.claim === claim) return { status: 201, version: registered.version };
      // Lost the race: remove our claim from the compacted topic (best effort) and try the next number.
      ctx.logger.debug({ workflow: name, version: registered.version }, 'version claimed by another gateway first; trying the next');
      await ctx.transport.produce([{ topic: ctx.names.definitions, key, value: null }]).catch(() => undefined);
    }
    throw new OrchError(ErrorCode.Unavailable, `could not claim a version of ${JSON.stringify(name)} after ${MAX_CLAIMS} tries; retry shortly`);
  });
}
