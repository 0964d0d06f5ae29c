/**
 * The peer: BullMQ on the local Redis, in this one process, with the same no-op handlers and the
 * same concurrency as the engine's worker.
 * - chain10 (and chain3): plain jobs; each job's handler enqueues the next, up to the chain's length.
 * - fanout20: the split job's handler adds a FlowProducer tree: a join parent with 20 children.
 * - flaky: before -> flaky (attempts 3, fixed backoff 1 ms; the first attempt throws) -> after.
 * Latencies come from instrumented handlers: dispatch is job added -> handler start; the
 * hand-off is a step's handler end -> its successor's handler start.
 */
import { FlowProducer, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { randomPrefix } from '../lib/bus.mjs';
import { closedLoop, openLoop, throughputCurve } from '../lib/load.mjs';
import { START_MODES, STARTS, startMode, starter } from '../lib/starts.mjs';
import { cpuPerStep, summarize, wallNow } from '../lib/stats.mjs';
import { CHAIN_LENGTHS, FAN_WIDTH, RETRY_DELAY_MS, flakyHandler, noop } from '../lib/workloads.mjs';

export async function run(o) {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
  const name = randomPrefix('bullmq').replace(/\.$/, '');
  const queue = new Queue(name, { connection });
  const flows = new FlowProducer({ connection });
  const defaults = { removeOnComplete: true, removeOnFail: true };
  const runs = new Map();
  let counter = 0;
  let window = { t0: Infinity, t1: Infinity };
  let stepsInWindow = 0;
  let runsInWindow = 0;
  let samples;
  const resetSamples = () => (samples = { dispatch: [], handoff: [], runLatency: [] });
  resetSamples();

  const worker = new Worker(
    name,
    async (job) => {
      const start = wallNow();
      const { runId } = job.data;
      const run = runs.get(runId);
      if (run?.measured) {
        if (job.attemptsMade === 0) samples.dispatch.push(start - job.timestamp);
        if (job.data.prevEnd !== undefined) samples.handoff.push(start - job.data.prevEnd);
        else if (job.name === 'join') samples.handoff.push(start - Math.max(...run.workEnds));
      }
      if (job.name === 'flaky') flakyHandler(job.attemptsMade + 1);
      const output = noop(job.data);
      const end = wallNow();
      switch (job.name) {
        case 'chain':
          if (job.data.step < job.data.last) await queue.add('chain', { runId, step: job.data.step + 1, last: job.data.last, prevEnd: end }, defaults);
          break;
        case 'split':
          await flows.add({
            name: 'join',
            queueName: name,
            data: { runId },
            opts: defaults,
            children: Array.from({ length: FAN_WIDTH }, (_, i) => ({ name: 'work', queueName: name, data: { runId, n: i + 1, prevEnd: end }, opts: defaults })),
          });
          break;
        case 'work':
          run?.workEnds.push(end);
          break;
        case 'before':
          await queue.add('flaky', { runId, prevEnd: end }, { ...defaults, attempts: 3, backoff: { type: 'fixed', delay: RETRY_DELAY_MS } });
          break;
        case 'flaky':
          await queue.add('after', { runId, prevEnd: end }, defaults);
          break;
      }
      return output;
    },
    { connection, concurrency: o.concurrency },
  );
  const chainEnd = (job) => job.name === 'chain' && job.data.step === job.data.last;
  const finalJob = { chain10: chainEnd, chain3: chainEnd, fanout20: (job) => job.name === 'join', flaky: (job) => job.name === 'after' };
  worker.on('completed', (job) => {
    const now = wallNow();
    if (now >= window.t0 && now < window.t1) stepsInWindow++;
    const run = runs.get(job.data.runId);
    if (run && finalJob[run.workload](job)) {
      runs.delete(job.data.runId);
      if (now >= window.t0 && now < window.t1) runsInWindow++;
      if (run.measured) samples.runLatency.push(now - run.sentAt);
      run.resolve();
    }
  });
  let failures = 0;
  worker.on('failed', (job, error) => {
    if (job?.name !== 'flaky' && failures++ === 0) process.stderr.write(`bench: a BullMQ job failed: ${error.message}\n`);
  });

  // A run starts with its first job; `batched` adds the first jobs of one turn with one addBulk.
  const firstJob = (workload, runId) =>
    Object.hasOwn(CHAIN_LENGTHS, workload)
      ? { name: 'chain', data: { runId, step: 1, last: CHAIN_LENGTHS[workload] }, opts: defaults }
      : { name: workload === 'fanout20' ? 'split' : 'before', data: { runId }, opts: defaults };
  const send = starter(startMode(o.starts ?? STARTS.bullmq, START_MODES), { sendOne: (job) => queue.add(job.name, job.data, job.opts), sendMany: (jobs) => queue.addBulk(jobs), maxBatch: 1000 });
  const startRun = (workload) => async (measured) => {
    const runId = `r${++counter}`;
    const done = new Promise((resolve) => runs.set(runId, { workload, measured, sentAt: wallNow(), workEnds: [], resolve }));
    await send(firstJob(workload, runId));
    return done;
  };

  const measure = async (drive) => {
    resetSamples();
    stepsInWindow = 0;
    runsInWindow = 0;
    const r = await drive({ onWindow: (t0, t1) => (window = { t0, t1 }) });
    const seconds = (r.t1 - r.t0) / 1000;
    const round = (v) => Math.round(v * 100) / 100;
    return {
      ...r,
      t0: undefined,
      t1: undefined,
      runsPerSec: round(runsInWindow / seconds),
      stepsPerSec: round(stepsInWindow / seconds),
      latency: { dispatch: summarize(samples.dispatch), handoff: summarize(samples.handoff), runLatency: summarize(samples.runLatency) },
    };
  };

  try {
    await worker.waitUntilReady();
    const redis = new Redis(connection);
    const info = await redis.info('server').finally(() => redis.quit());
    const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    // BullMQ's work is split between this process and the Redis server: both count.
    const stats = new Redis(connection);
    const redisCpuUs = async () => {
      const cpu = await stats.info('cpu');
      const seconds = ['used_cpu_sys', 'used_cpu_user'].reduce((n, k) => n + Number(new RegExp(`${k}:([\\d.]+)`).exec(cpu)?.[1] ?? 0), 0);
      return seconds * 1e6;
    };
    for (const workload of o.workloads) await startRun(workload)(false);
    const results = {};
    for (const workload of o.workloads) {
      const start = startRun(workload);
      const { result: saturated, cpuUsPerStep, cpuByThread } = await cpuPerStep(() => measure((w) => closedLoop({ start, window: o.window[workload], warmupMs: o.warmupMs, measureMs: o.measureMs, ...w })), (r) => r.stepsPerSec, redisCpuUs);
      const sat = { ...saturated, cpuUsPerStep, ...(cpuByThread ? { cpuByThread } : {}) };
      if (o.saturationOnly) {
        results[workload] = { saturation: sat };
        process.stderr.write(`  bullmq ${workload}: saturation ${sat.runsPerSec} runs/s ${sat.stepsPerSec} steps/s\n`);
        continue;
      }
      const rate = Math.max(1, sat.runsPerSec * o.loadFraction);
      const fixed = await measure((w) => openLoop({ start, ratePerSec: rate, warmupMs: o.warmupMs, measureMs: o.measureMs, maxInFlight: o.window[workload] * 4, ...w }));
      const curve = o.curve ? await throughputCurve({ start, window: o.window[workload], saturation: sat, factors: o.curve, warmupMs: o.warmupMs, measureMs: o.measureMs, measure }) : undefined;
      const alone = o.alone ? await measure((w) => closedLoop({ start, window: 1, warmupMs: o.warmupMs, measureMs: o.measureMs, ...w })) : undefined;
      results[workload] = { saturation: sat, fixed: { ...fixed, offeredRunsPerSec: Math.round(rate * 100) / 100 }, ...(curve ? { curve } : {}), ...(alone ? { alone } : {}) };
      process.stderr.write(`  bullmq ${workload}: saturation ${sat.runsPerSec} runs/s ${sat.stepsPerSec} steps/s; at ${rate.toFixed(1)} runs/s hand-off p50 ${fixed.latency.handoff.p50} ms p99 ${fixed.latency.handoff.p99} ms\n`);
      if (curve) process.stderr.write(`  bullmq ${workload} by runs in flight: ${curve.map((c) => `${c.window}: ${c.stepsPerSec} steps/s`).join(', ')}\n`);
    }
    await stats.quit();
    return { redisVersion, concurrency: o.concurrency, window: o.window, workloads: results };
  } finally {
    await worker.close().catch(() => undefined);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await Promise.all([queue.close(), flows.close()]).catch(() => undefined);
  }
}
