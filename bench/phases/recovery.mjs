/**
 * Phase: recovery after kill -9 of an orchestrator holding active runs. Two orchestrator
 * processes share the partitions; `runs` chains of demo.sleep steps keep every run active; once
 * every run has started, one orchestrator is killed. Measured from the kill: when the survivor
 * has restored the dead one's partitions (its log), and when the last run made progress again
 * (its first event after the kill, as received on the gateway's live stream).
 */
import WebSocket from 'ws';
import { brokersFromEnv } from '../lib/bus.mjs';
import { chainWorkflow, request, startDeployment, submit } from '../lib/deployment.mjs';
import { summarize } from '../lib/stats.mjs';

export async function run(options) {
  const runs = options.runs ?? 1000;
  const stepMs = options.stepMs ?? 4000;
  const deployment = await startDeployment({ brokers: brokersFromEnv(), orchestrators: 2, workers: 2, concurrency: Math.ceil(runs / 2) + 50, partitions: options.partitions ?? 6, label: 'recovery' });
  const socket = new WebSocket(`${deployment.url.replace('http', 'ws')}/api/v1/stream`);
  const opened = new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  try {
    const { url } = deployment;
    const name = 'recovery-chain';
    const registered = await request(`${url}/api/v1/workflows/${name}`, 'PUT', chainWorkflow(12, stepMs));
    if (registered.status >= 300) throw new Error(`PUT workflow: ${registered.status} ${JSON.stringify(registered.body)}`);
    const started = new Set();
    await opened;
    socket.on('message', (raw) => {
      const frame = JSON.parse(String(raw));
      if (!frame.runId) return;
      if (frame.type === 'StepStarted') started.add(frame.runId);
    });
    const ids = await submit(url, name, runs);
    process.stderr.write(`[recovery] ${runs} runs submitted; waiting until each has started\n`);
    const deadline = Date.now() + 120_000;
    while (ids.some((id) => !started.has(id))) {
      if (Date.now() > deadline) throw new Error(`only ${started.size} of ${runs} runs started in 120 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const victim = deployment.orchestrators[0];
    const survivor = deployment.orchestrators[1];
    const logBefore = survivor.output().length;
    const killedAt = performance.now();
    victim.kill('SIGKILL');
    process.stderr.write(`[recovery] every run started; killed orchestrator-1 (SIGKILL)\n`);
    const progressed = new Map();
    socket.on('message', (raw) => {
      const frame = JSON.parse(String(raw));
      if (frame.runId && !progressed.has(frame.runId)) progressed.set(frame.runId, performance.now() - killedAt);
    });
    const waitUntil = Date.now() + 90_000;
    while (ids.some((id) => !progressed.has(id))) {
      if (Date.now() > waitUntil) throw new Error(`${ids.filter((id) => !progressed.has(id)).length} of ${runs} runs made no progress within 90 s of the kill`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const restoreLines = survivor.output().slice(logBefore).split('\n').filter((l) => l.includes('partition assigned and restored'));
    const delays = summarize(ids.map((id) => progressed.get(id)));
    return { runs, stepMs, partitionsTakenOver: restoreLines.length, progressAfterKillMs: delays };
  } finally {
    socket.close();
    await deployment.stop();
  }
}
