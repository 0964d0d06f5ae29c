/** The fan-out load of fan-out.e2e.test.ts on the real broker. */
import { test } from 'node:test';
import { ensureKafka, kafkaSkip } from '@orchestrator-lite/testing';
import { startEngine } from './language-engine.js';
import { fanOutFlow } from './fan-out-flows.js';

void test('on Kafka: 20 fan-outs of 100 at once all succeed, and orch.state stays control state', { skip: kafkaSkip(), timeout: 180_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const e = await startEngine(t, { brokers });
  const r = await fanOutFlow(e, 120_000);
  t.diagnostic(`${r.elapsedMs} ms; orch.state: ${r.state.records} records, ${r.state.bytes} B, ${Math.round(r.bytesPerStep)} B per step, largest ${r.state.largestRecord} B`);
});
