/**
 * The engine, all roles in this one process (orchestrator, worker, gateway) on one bus, driven
 * through the public REST API and observed through the gateway's WebSocket stream.
 *
 * For each workload: a closed loop (saturation), then an open loop at `loadFraction` of the
 * saturated run rate (a fixed offered load), and with `alone` a closed loop of one run at a time
 * (what a single workflow takes on an idle engine). Handlers are instrumented to time their start and end.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { MAX_BATCH_RUNS, runIdForIdempotencyKey } from '@orchestrator-lite/core';
import { RunStarter, startOrchestrator } from '@orchestrator-lite/orchestrator';
import { addWriteStats } from '@orchestrator-lite/transport';
import { defineTask, startWorker } from '@orchestrator-lite/worker';
import { cpuUsOf, localBrokerPids, threadMeter } from '../lib/broker-cpu.mjs';
import { brokersFromEnv, openBus } from '../lib/bus.mjs';
import { closedLoop, openLoop, throughputCurve } from '../lib/load.mjs';
import { closeClient, postJson } from '../lib/http-client.mjs';
import { phaseFlags } from '../lib/phase-process.mjs';
import { startGatewayHere, startGatewayOnThread, startOrchestratorOnThread } from '../lib/roles.mjs';
import { RunTracker } from '../lib/run-tracker.mjs';
import { STARTS, startMode, starter } from '../lib/starts.mjs';
import { cpuPerStep, cpuPerStepByProcess, sleep, summarize, wallNow } from '../lib/stats.mjs';
import { ATTEMPTS_PER_RUN, FLAKY_TASK, TASK, engineDefinitions, flakyHandler, noop } from '../lib/workloads.mjs';

export async function run(o) {
  // The engine in processes of its own: this one only drives the load and watches.
  const apart = Boolean(o.split || o.ownProcess);
  const shape = o.split ? ' (split)' : o.ownProcess ? ' (own process)' : '';
  // The embedded bus is one process's: when the engine runs in another, this one leaves it closed.
  const bus = openBus(o.bus, 'engine', { open: !(apart && o.bus === 'embedded') });
  // workload -> (stepId -> dependsOn), filled as the workflows are registered below.
  const dependencies = new Map();
  const tracker = new RunTracker(dependencies, { timeline: o.timeline === true });
  const timed = (handler) => (input, ctx) => {
    tracker.handlerStarted(ctx.runId, ctx.stepId, ctx.attempt);
    try {
      return handler(input, ctx);
    } finally {
      tracker.handlerEnded(ctx.runId, ctx.stepId, ctx.attempt);
    }
  };
  const tasks = [
    defineTask(TASK, timed((input) => noop(input))),
    defineTask(FLAKY_TASK, timed((_input, ctx) => flakyHandler(ctx.attempt))),
  ];
  const common = { transport: bus.transport, topicPrefix: bus.prefix, partitions: o.partitions };
  const closers = [];
  try {
    const { gateway, getRun, partitions, pids, writeStats } = apart ? await startApart(o, bus, closers) : await startInProcess(common, tasks, o, closers);

    const definitions = engineDefinitions('bench-');
    for (const [workload, def] of Object.entries(definitions)) {
      dependencies.set(workload, new Map(def.steps.map((s) => [s.id, s.dependsOn ?? []])));
      const response = await fetch(`${gateway.url}/api/v1/workflows/${def.name}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(def),
      });
      if (!response.ok) throw new Error(`registering ${def.name}: ${response.status} ${await response.text()}`);
    }

    // Where this process holds the engine's bus, runs go to it as StartRun commands (bench/lib/starts.mjs).
    const starts = startsOf(o, apart);
    const runStarter = starts === 'bus' ? new RunStarter({ transport: bus.transport, topicPrefix: bus.prefix }) : undefined;
    const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}/api/v1/stream`);
    closers.push(async () => socket.close());
    closers.push(async () => closeClient());
    socket.on('message', (raw) => {
      const receivedAt = wallNow();
      tracker.onFrame(JSON.parse(raw.toString()), receivedAt);
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });

    let counter = 0;
    const send = starter(starts, {
      sendOne: async (body) => {
        const response = await postJson(`${gateway.url}/api/v1/runs`, body);
        if (response.status !== 202) throw new Error(`POST /api/v1/runs: ${response.status} ${response.text}`);
      },
      sendMany: async (runs) => {
        if (runStarter !== undefined) return runStarter.start(runs);
        const response = await postJson(`${gateway.url}/api/v1/runs/batch`, { runs });
        if (response.status !== 202 || response.text.includes('"error"')) throw new Error(`POST /api/v1/runs/batch: ${response.status} ${response.text.slice(0, 500)}`);
      },
      maxBatch: MAX_BATCH_RUNS,
    });
    const startRun = (workload) => async (measured) => {
      const workflow = definitions[workload].name;
      const idempotencyKey = `r${++counter}`;
      const runId = runIdForIdempotencyKey(workflow, idempotencyKey);
      const done = tracker.expect(runId, workload, measured);
      await send({ workflow, idempotencyKey, input: {} });
      return done;
    };

    // Per workload: one run end to end first (consumer groups joined, code paths compiled), then
    // saturation, then the fixed load. A workload that fails is reported and the next one runs.
    const results = {};
    // On Kafka, a step's CPU counts the local broker's share too, as BullMQ's counts Redis's.
    const brokerPids = o.bus === 'kafka' ? localBrokerPids(brokersFromEnv()) : [];
    for (const workload of o.workloads) {
      try {
        await warmUp(workload);
        const start = startRun(workload);
        const drive = () => measure(tracker, (window) => closedLoop({ start, window: o.window[workload], warmupMs: o.warmupMs, measureMs: o.measureMs, ...window }));
        const sat = apart ? await saturateApart(drive, pids, brokerPids) : await saturateInProcess(drive, brokerPids, writeStats);
        const f = (x) => x.toFixed(1);
        if (o.saturationOnly) {
          results[workload] = { saturation: sat };
          process.stderr.write(`  engine/${o.bus}${shape} ${workload}: saturation ${f(sat.runsPerSec)} runs/s ${f(sat.stepsPerSec)} steps/s\n`);
          continue;
        }
        const rate = Math.max(1, sat.runsPerSec * o.loadFraction);
        const fixed = await measure(tracker, (window) => openLoop({ start, ratePerSec: rate, warmupMs: o.warmupMs, measureMs: o.measureMs, maxInFlight: o.window[workload] * 4, ...window }));
        const curve = o.curve ? await throughputCurve({ start, window: o.window[workload], saturation: sat, factors: o.curve, warmupMs: o.warmupMs, measureMs: o.measureMs, measure: (drive) => measure(tracker, drive) }) : undefined;
        const alone = o.alone ? await measure(tracker, (window) => closedLoop({ start, window: 1, warmupMs: o.warmupMs, measureMs: o.measureMs, ...window })) : undefined;
        results[workload] = { saturation: sat, fixed: { ...fixed, offeredRunsPerSec: Math.round(rate * 100) / 100 }, ...(curve ? { curve } : {}), ...(alone ? { alone } : {}) };
        process.stderr.write(`  engine/${o.bus}${shape} ${workload}: saturation ${f(sat.runsPerSec)} runs/s ${f(sat.stepsPerSec)} steps/s; at ${f(rate)} runs/s task-to-next p50 ${fixed.latency.taskToNext.p50} ms p99 ${fixed.latency.taskToNext.p99} ms\n`);
        if (curve) process.stderr.write(`  engine/${o.bus} ${workload} by runs in flight: ${curve.map((c) => `${c.window}: ${f(c.stepsPerSec)} steps/s`).join(', ')}\n`);
      } catch (error) {
        results[workload] = { error: error.message };
        process.stderr.write(`  engine/${o.bus}${shape} ${workload}: FAILED: ${error.message}\n`);
      }
    }

    async function warmUp(workload) {
      const before = counter;
      let timer;
      const late = new Promise((resolve) => (timer = setTimeout(() => resolve('late'), 60_000)));
      const outcome = await Promise.race([startRun(workload)(false), late]);
      clearTimeout(timer);
      if (outcome === 'late') {
        const runId = runIdForIdempotencyKey(definitions[workload].name, `r${before + 1}`);
        const view = await (await fetch(`${gateway.url}/api/v1/runs/${runId}`)).json();
        const steps = Object.entries(view.steps ?? {}).filter(([, s]) => s.status !== 'SUCCEEDED').map(([id, s]) => `${id}:${s.status}`);
        const held = getRun(runId);
        throw new Error(`a single ${workload} run did not finish in 60 s: the gateway has it ${view.status} with unfinished steps ${steps.join(' ')}; the orchestrator holds it ${held === undefined ? 'not at all (or on another thread or process)' : held.status}`);
      }
      if (outcome !== 'RunSucceeded') throw new Error(`a single ${workload} run ended ${outcome}`);
    }
    return { bus: o.bus, split: Boolean(o.split), ownProcess: Boolean(o.ownProcess), concurrency: o.concurrency, partitions, window: o.window, workloads: results, attemptsPerRun: ATTEMPTS_PER_RUN };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await bus.cleanup();
  }
}

/**
 * The closed loop with every role in this process: its CPU by thread, the local broker's, and
 * the bus's writes (of each client, on Kafka the orchestrator's thread's too).
 */
async function saturateInProcess(drive, brokerPids, writeStats) {
  const before = await writeStats();
  const broker = threadMeter(brokerPids);
  const { result, seconds, cpuUsPerStep, cpuByThread } = await cpuPerStep(drive, (r) => r.stepsPerSec, async () => cpuUsOf(brokerPids));
  const writes = writesOver(before, await writeStats(), seconds, result.stepsPerSec);
  const brokerThreads = brokerPids.length > 0 ? broker.usPer(seconds, result.stepsPerSec) : undefined;
  return { ...result, cpuUsPerStep, ...(cpuByThread ? { cpuByThread } : {}), ...(writes ? { writes } : {}), brokerCounted: brokerPids.length > 0, ...(brokerThreads ? { brokerThreads } : {}) };
}

/**
 * The bus's writes over a loop, from two readings of Transport.writeStats: the records a step
 * writes, how the writes were gathered into requests (produce requests, group commits), what a
 * write waited for its request, and how long a request took. Per second and per step over the
 * whole loop, its warm-up and drain included, as the CPU per step is.
 */
function writesOver(before, after, seconds, stepsPerSec) {
  const d = (k) => after[k] - before[k];
  const steps = seconds * stepsPerSec;
  if (!(steps > 0) || d('requests') === 0 || d('writes') === 0) return undefined;
  const round = (v, digits = 2) => Number(v.toFixed(digits));
  return {
    recordsPerStep: round(d('records') / steps),
    requestsPerSec: round(d('requests') / seconds, 0),
    recordsPerRequest: round(d('records') / d('requests'), 1),
    writesPerRequest: round(d('writes') / d('requests'), 1),
    waitMsPerWrite: round(d('queuedMs') / d('writes')),
    msPerRequest: round(d('requestMs') / d('requests')),
    underWay: round(d('requestMs') / (seconds * 1000)),
  };
}

/**
 * The closed loop with each role in its own process: the CPU per step of each (from /proc, so
 * Linux only), the local broker's, and this process's, which only drives the load and watches the
 * stream (the HTTP client and the WebSocket client of the one-process rows, which count them too).
 */
async function saturateApart(drive, pids, brokerPids) {
  if (!existsSync(`/proc/${process.pid}/stat`)) return drive();
  const sources = {
    ...Object.fromEntries(Object.entries(pids).map(([role, pid]) => [role, () => cpuUsOf([pid])])),
    ...(brokerPids.length > 0 ? { broker: () => cpuUsOf(brokerPids) } : {}),
    load: () => cpuUsOf([process.pid]),
  };
  const { result, cpuUsPerStep, cpuByProcess } = await cpuPerStepByProcess(drive, (r) => r.stepsPerSec, sources);
  return { ...result, cpuUsPerStep, ...(cpuByProcess ? { cpuByProcess } : {}), brokerCounted: brokerPids.length > 0 };
}

/**
 * Orchestrator, worker and gateway in this process, as `orch start` runs them (on the embedded bus
 * the gateway on a thread of its own, on Kafka the orchestrator): the handlers are timed here.
 */
async function startInProcess(common, tasks, o, closers) {
  const orchestrator = o.bus === 'kafka' ? await startOrchestratorOnThread(brokersFromEnv(), common) : await startOrchestrator(common);
  closers.push(() => orchestrator.close());
  const worker = await startWorker({ ...common, tasks, concurrency: o.concurrency });
  closers.push(() => worker.close());
  const gateway = o.bus === 'embedded' ? await startGatewayOnThread(common) : await startGatewayHere(common);
  closers.push(() => gateway.close());
  // The bus's writes: on Kafka the orchestrator's thread writes with a client of its own.
  const writeStats = async () => addWriteStats([common.transport.writeStats(), ...(orchestrator.writeStats ? [await orchestrator.writeStats()] : [])]);
  return { gateway: { url: gateway.url, port: gateway.port }, getRun: (runId) => orchestrator.getRun?.(runId), partitions: orchestrator.partitions, writeStats };
}

/**
 * How this phase's client starts runs: as asked, else the engine's faster way; through the bus only
 * where this process holds it (the embedded bus of an engine in another process is that process's),
 * else the runs of one turn in one request.
 */
function startsOf(o, apart) {
  const starts = startMode(o.starts ?? STARTS.engine);
  return starts === 'bus' && apart && o.bus === 'embedded' ? 'batched' : starts;
}

/**
 * The engine in OS processes of its own (bench/peers/engine-role.mjs), as deployed, this process
 * only driving the load and watching: with `o.split` every role its own process (Kafka), else every
 * role in one (`engine`, as `orch start` runs them, on either bus). The handlers run in another
 * process, so only the figures taken from events (task-to-next, WebSocket, run) exist.
 */
async function startApart(o, bus, closers) {
  if (o.split && o.bus !== 'kafka') throw new Error('engine: split roles need the kafka bus');
  const port = await freePort();
  const where = o.bus === 'kafka' ? { brokers: brokersFromEnv() } : { dataDir: bus.dataDir };
  const config = { ...where, prefix: bus.prefix, partitions: o.partitions, concurrency: o.concurrency, port };
  // The orchestrator first: it creates the topics the others join, and says how many partitions.
  let partitions;
  const pids = {};
  for (const role of o.split ? ['orchestrator', 'worker', 'gateway'] : ['all']) {
    // With this process's flags (bench/profile.mjs's --cpu-prof among them) and those the bench
    // starts the engine's processes with (the young generation the `orch` command gives them).
    const execArgv = [...new Set([...process.execArgv, ...phaseFlags('engine')])];
    const child = fork(fileURLToPath(new URL('../peers/engine-role.mjs', import.meta.url)), [role, JSON.stringify(config)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    // The report's process columns: each role's, or the whole engine's.
    pids[role === 'all' ? 'engine' : role] = child.pid;
    closers.push(async () => {
      if (child.exitCode !== null) return;
      child.send('stop');
      await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(15_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await new Promise((resolve, reject) => {
      child.once('message', (m) => {
        partitions ??= m.partitions;
        resolve();
      });
      child.once('exit', (code) => reject(new Error(`the ${role} process exited with ${code}`)));
    });
  }
  return { gateway: { url: `http://127.0.0.1:${port}`, port }, getRun: () => undefined, partitions, pids };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs one load pattern; the tracker counts and samples inside the driver's measurement window. */
async function measure(tracker, drive) {
  const r = await drive({ onWindow: (t0, t1) => tracker.resetWindow(t0, t1) });
  const seconds = (r.t1 - r.t0) / 1000;
  const s = tracker.samples;
  const round = (v) => Math.round(v * 100) / 100;
  return {
    ...r,
    t0: undefined,
    t1: undefined,
    runsPerSec: round(tracker.runsInWindow / seconds),
    stepsPerSec: round(tracker.stepsInWindow / seconds),
    failedRuns: tracker.failedRuns,
    latency: {
      dispatch: summarize(s.dispatch),
      taskToNext: summarize(s.taskToNext),
      handoff: summarize(s.handoff),
      wsLatency: summarize(s.wsLatency),
      runLatency: summarize(s.runLatency),
    },
    // With a timeline, the measured window too (wall ms): bench/legs.mjs keeps the records written in it.
    ...(s.timeline.size === 0 ? {} : { timeline: [...s.timeline].map(([key, gaps]) => ({ key, ...summarize(gaps) })), window: { from: r.t0, to: r.t1 } }),
  };
}
