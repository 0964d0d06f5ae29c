/**
 * The thread of role-thread.test.ts: a stand-in role that starts, or fails to, as its data says,
 * answers `ping` and `limits` (its resource limits), crashes on `crash`, and records its close in a file so that the test sees the
 * close ran before the thread ended.
 */
import { writeFileSync } from 'node:fs';
import { resourceLimits, workerData } from 'node:worker_threads';
import { failStart, loadThreadSetup, onParentRequests, tellParent } from '../src/role-thread.js';
import type { ThreadSetupModule } from '../src/role-thread.js';

export interface FixtureData {
  /** `start`: say started; `fail`: could not start. */
  outcome: 'start' | 'fail';
  /** Written when the role closes. */
  closedFile: string;
  setup?: ThreadSetupModule;
}

const data = workerData as FixtureData;
const setup = await loadThreadSetup<{ name?: string }>(data.setup, 'setupFixtureThread');
if (data.outcome === 'fail') {
  await failStart(new Error('no broker answered'), async () => writeFileSync(data.closedFile, 'released'));
} else {
  tellParent({ started: { name: setup.name ?? 'fixture' } });
  onParentRequests(
    async () => writeFileSync(data.closedFile, 'closed'),
    (request) => {
      if (request === 'ping') tellParent({ pong: true });
      if (request === 'limits') tellParent({ limits: resourceLimits });
      if (request === 'crash') throw new Error('the role crashed');
    },
  );
}
