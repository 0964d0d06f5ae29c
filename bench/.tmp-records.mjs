import { rmSync } from 'node:fs';
import { createEmbeddedTransport } from '@orchestrator-lite/transport';
import { startGateway } from '@orchestrator-lite/gateway';
import { startOrchestrator } from '@orchestrator-lite/orchestrator';
import { defineTask, startWorker } from '@orchestrator-lite/worker';
import { FLAKY_TASK, TASK, engineDefinitions, flakyHandler, noop } from './lib/workloads.mjs';
const dir = '/tmp/rec/data'; rmSync(dir, { recursive: true, force: true });
const transport = createEmbeddedTransport({ dataDir: dir });
const common = { transport, topicPrefix: 'x.' };
const orch = await startOrchestrator(common);
const worker = await startWorker({ ...common, tasks: [defineTask(TASK, (i) => noop(i)), defineTask(FLAKY_TASK, (_i, ctx) => flakyHandler(ctx.attempt))], concurrency: 8 });
const gw = await startGateway({ ...common, port: 0 });
const defs = engineDefinitions('b-');
const wl = process.argv[2] ?? 'flaky';
for (const d of Object.values(defs)) await fetch(`${gw.url}/api/v1/workflows/${d.name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(d) });
const N = 20;
const ids = [];
for (let i = 0; i < N; i++) { const r = await fetch(`${gw.url}/api/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflow: defs[wl].name, input: {} }) }); ids.push((await r.json()).runId); }
for (;;) { const v = await Promise.all(ids.map(async (id) => (await (await fetch(`${gw.url}/api/v1/runs/${id}`)).json()).status)); if (v.every((s) => s === 'SUCCEEDED')) break; await new Promise((r) => setTimeout(r, 200)); }
await new Promise((r) => setTimeout(r, 1500));
await gw.close(); await worker.close(); await orch.close(); await transport.close();
console.log('done', wl, N);
