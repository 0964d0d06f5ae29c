/**
 * Horizontal scaling: for each worker count, a fresh deployment (one orchestrator, one gateway,
 * N worker processes) runs a fixed batch of chains, timed from the first POST until the gateway
 * reports every run SUCCEEDED, after a warm-up batch that lets every worker join its group.
 */
import { chainWorkflow, startDeployment, submit, succeeded, request } from '../lib/deployment.mjs';

export async function measureScaling({ brokers, workerCounts, runs, steps, sleepMs = 0, partitions = 6, concurrency = 16, repeat = 1, timeoutMs = 300_000, progress = () => {} }) {
  const workflow = chainWorkflow(steps, sleepMs);
  const results = [];
  for (const workers of workerCounts) {
    for (let r = 0; r < repeat; r++) {
      progress(`[scaling] ${workers} worker process(es), run ${r + 1}/${repeat}: ${runs} runs × ${steps} steps… `);
      const deployment = await startDeployment({ brokers, workers, partitions, concurrency, label: 'scaling' });
      try {
        const { url } = deployment;
        const name = 'scaling-chain';
        const registered = await request(`${url}/api/v1/workflows/${name}`, 'PUT', workflow);
        if (registered.status >= 300) throw new Error(`PUT workflow: ${registered.status} ${JSON.stringify(registered.body)}`);
        const warmup = Math.max(10, workers * 5);
        await submit(url, name, warmup);
        await succeeded(url, name, warmup, timeoutMs);
        const t0 = performance.now();
        await submit(url, name, runs);
        const submittedMs = performance.now() - t0;
        await succeeded(url, name, warmup + runs, timeoutMs);
        const elapsedMs = performance.now() - t0;
        const result = { workers, elapsedMs, submittedMs, stepsPerSecond: (runs * steps) / (elapsedMs / 1000), runsPerSecond: runs / (elapsedMs / 1000) };
        progress(`${result.stepsPerSecond.toFixed(0)} steps/s\n`);
        results.push(result);
      } finally {
        await deployment.stop();
      }
    }
  }
  return { results, description: workflow.description };
}
