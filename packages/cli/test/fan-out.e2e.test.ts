/** Twenty fan-outs of a hundred at once on the embedded bus, through the real orchestrator and worker. */
import { test } from 'node:test';
import { startEngine } from './language-engine.js';
import { fanOutFlow } from './fan-out-flows.js';

void test('20 fan-outs of 100 at once all succeed, and orch.state stays control state', { timeout: 120_000 }, async (t) => {
  const e = await startEngine(t);
  const r = await fanOutFlow(e, 90_000);
  t.diagnostic(`${r.elapsedMs} ms; orch.state: ${r.state.records} records, ${r.state.bytes} B, ${Math.round(r.bytesPerStep)} B per step, largest ${r.state.largestRecord} B`);
});
