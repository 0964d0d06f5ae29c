#!/usr/bin/env node
/**
 * An orchestrator takes over from one killed with SIGKILL while it owns active and finished runs
 * (a measurement on Kafka, not a test):
 *
 *   node bench/takeover-scale.mjs [--active=10000] [--finished=100000]
 *
 * `finished` runs of a 2-step chain are written to orch.state as the orchestrator writes an ended
 * run (its final header, built with core's reducer and snapshot writer), so that restores have
 * that history to skip. Two orchestrator processes then share the partitions, and `active` runs
 * are started whose one step sleeps until the same instant W. Three seconds before W, one
 * orchestrator is killed. Each active run's wake-up event is timed against W: the survivor's own
 * runs wake on time, the dead one's once the group has given their partitions to the survivor
 * (after the session timeout, 6 s) and it has restored them. Target: every active run resumes
 * within 5 s of the session timeout. The survivor's restore lines show what a restore read and held.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importBuilt } from './lib/worktree.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const load = (pkg) => importBuilt(root, pkg);
const core = await load('core');
const { createKafkaTransport, partitionFor, provisionTopics } = await load('transport');
const { randomPrefix, spawnRole, waitFor } = await load('testing');

const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const ACTIVE = arg('active', 10_000);
const FINISHED = arg('finished', 100_000);
const PARTITIONS = 6;
const SESSION_TIMEOUT_MS = 6000;
const KILL_BEFORE_WAKE_MS = 3000;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const prefix = randomPrefix('takeover');
const names = core.topicNames(prefix);
const log = (line) => process.stderr.write(`[takeover] ${line}\n`);
const BIN = join(root, 'packages/cli/dist/src/bin.js');

const transport = createKafkaTransport({ brokers, clientId: 'takeover-bench' });
const cleanups = [];
const ctx = { after: (fn) => cleanups.push(fn) };
try {
  await provisionTopics(transport, names, { partitions: PARTITIONS });
  await writeFinishedRuns();
  const orchestrators = [1, 2].map((n) =>
    spawnRole(ctx, { name: `orchestrator-${n}`, args: [BIN, 'orchestrator'], env: { KAFKA_BROKERS: brokers.join(','), ORCH_TOPIC_PREFIX: prefix, ORCH_PARTITIONS: String(PARTITIONS), LOG_FORMAT: 'json', LOG_LEVEL: 'info' } }),
  );
  const restored = (role, from = 0) => role.output().slice(from).split('\n').filter((l) => l.includes('partition assigned and restored')).map((l) => JSON.parse(l));
  await waitFor(() => new Set(orchestrators.flatMap((o) => restored(o).map((l) => l.partition))).size === PARTITIONS && orchestrators.every((o) => restored(o).length > 0), { timeoutMs: 120_000, intervalMs: 200, description: 'both orchestrators own partitions' });
  const initial = orchestrators.flatMap((o) => restored(o));
  log(`first restores: ${initial.map((l) => `p${l.partition} ${l.recordsRead} records, ${l.retained} retained, ${l.ms} ms`).join('; ')}`);

  const woke = new Map();
  const started = new Set();
  const listener = await transport.subscribe({
    groupId: `${prefix}bench-listener`,
    topics: [names.events],
    from: 'latest',
    onBatch: async (records) => {
      const at = Date.now();
      for (const r of records) {
        const event = core.decodeEvent(r.value);
        if (event.type === 'RunStarted') started.add(event.runId);
        else if (event.type === 'RunSucceeded' && !woke.has(event.runId)) woke.set(event.runId, at);
      }
    },
  });
  cleanups.push(() => listener.close());
  await new Promise((r) => setTimeout(r, 2000)); // the listener's group settles before anything is written

  const wakeAt = Date.now() + 40_000 + ACTIVE * 2;
  const parked = { name: 'parked', steps: [{ id: 'nap', type: 'sleep', until: `timestamp("${new Date(wakeAt).toISOString()}")` }] };
  const ids = Array.from({ length: ACTIVE }, (_, i) => `active-${i}`);
  for (let i = 0; i < ids.length; i += 1000) {
    await transport.produce(ids.slice(i, i + 1000).map((runId) => ({ topic: names.commands, key: runId, value: core.encodeMessage({ v: 1, type: 'StartRun', runId, workflow: 'parked', version: 1, definition: parked, input: {}, at: Date.now() }) })));
  }
  await waitFor(() => started.size === ACTIVE, { timeoutMs: Math.max(10_000, wakeAt - Date.now() - KILL_BEFORE_WAKE_MS - 2000), intervalMs: 200, description: `${ACTIVE} active runs started` });
  log(`${ACTIVE} active runs started, all asleep until ${new Date(wakeAt).toISOString()} (${wakeAt - Date.now()} ms from now)`);

  const [victim, survivor] = orchestrators;
  const mark = survivor.output().length;
  await new Promise((r) => setTimeout(r, Math.max(0, wakeAt - KILL_BEFORE_WAKE_MS - Date.now())));
  const killedAt = Date.now();
  victim.kill('SIGKILL');
  log(`killed ${victim.name} (SIGKILL) ${wakeAt - killedAt} ms before the wake-up`);
  await waitFor(() => woke.size === ACTIVE, { timeoutMs: 120_000, intervalMs: 100, description: `${ACTIVE} runs woke` }).catch((error) => {
    log(`${ACTIVE - woke.size} runs never woke: ${error.message}`);
  });
  const late = ids.map((id) => (woke.get(id) ?? Number.NaN) - wakeAt).sort((a, b) => a - b);
  const q = (p) => late[Math.min(late.length - 1, Math.floor(p * late.length))];
  const takeover = restored(survivor, mark);
  const worst = Math.max(...late) + (wakeAt - killedAt);
  const result = {
    active: ACTIVE,
    finished: FINISHED,
    wakeLateMs: { p50: q(0.5), p99: q(0.99), max: late.at(-1) },
    lastResumeAfterKillMs: worst,
    boundMs: SESSION_TIMEOUT_MS + 5000,
    met: worst <= SESSION_TIMEOUT_MS + 5000,
    takenOver: takeover.map((l) => ({ partition: l.partition, runs: l.runs, retained: l.retained, recordsRead: l.recordsRead, ms: l.ms })),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  log(`the last active run resumed ${worst} ms after the kill (bound: session timeout ${SESSION_TIMEOUT_MS} ms + 5 s = ${SESSION_TIMEOUT_MS + 5000} ms): ${result.met ? 'met' : 'MISSED'}`);
} finally {
  for (const fn of cleanups.reverse()) await fn();
  await transport.close();
}

/** The final records of FINISHED ended runs of a 2-step chain, on the partitions their ids hash to. */
async function writeFinishedRuns() {
  const chain = { name: 'done-chain', steps: [{ id: 'a', task: 't', input: { n: '${input.n}' } }, { id: 'b', task: 't', dependsOn: ['a'] }] };
  const digest = (await import('node:crypto')).createHash('sha256').update(JSON.stringify(chain)).digest('hex').slice(0, 16);
  const definitionRecords = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: names.state, key: core.snapshotKeys.definition(digest), value: core.encodeMessage({ kind: 'definition', digest, definition: chain }), partition }));
  await transport.produce(definitionRecords);
  const ctx = { now: Date.now(), random: () => 0.5 };
  let batch = [];
  const t0 = Date.now();
  for (let i = 0; i < FINISHED; i++) {
    const runId = `finished-${i}`;
    let state = core.reduceRun(undefined, { v: 1, type: 'StartRun', runId, workflow: chain.name, version: 1, definition: chain, input: { n: i }, at: ctx.now }, ctx).state;
    for (const stepId of ['a', 'b']) state = core.reduceRun(state, { v: 1, type: 'TaskCompleted', runId, stepId, attempt: 1, workerId: 'w', output: { ok: true }, at: ctx.now }, ctx).state;
    const partition = partitionFor(runId, PARTITIONS);
    for (const write of core.snapshotWrites(undefined, state, digest)) batch.push({ topic: names.state, key: write.key, value: write.value === null ? null : core.encodeMessage(write.value), partition });
    if (batch.length >= 3000 || i === FINISHED - 1) {
      await transport.produce(batch);
      batch = [];
    }
    if (i > 0 && i % 20_000 === 0) log(`${i} finished runs written to orch.state`);
  }
  log(`${FINISHED} finished runs written to orch.state in ${Date.now() - t0} ms`);
}
