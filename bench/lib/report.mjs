/** Turns one result set into targets (met or not), a markdown report and a bar-chart SVG. */
import { rmSync, writeFileSync } from 'node:fs';
import { curveSection, hasCurves, renderCurveSvg } from './curve-report.mjs';
import { fmt, ok, ratio, SYSTEMS } from './format.mjs';
import { WORKLOADS } from './workloads.mjs';

/** A section of the report: its heading, a paragraph, then `body`'s lines; none when the body is empty. */
function section(title, intro, body) {
  return body.length === 0 ? [] : [`## ${title}`, '', intro, '', ...body];
}

const meanOf = (values) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * A side of a pair whose two runs are further apart than this (the larger ÷ the smaller) saw the
 * machine move unevenly under it: the pair's ratio says less than its figure.
 */
export const UNSTEADY_PAIR = 1.25;

/** The larger of a side's rates over the smaller, to two decimals. */
const spreadOf = (rates) => Math.round((Math.max(...rates) / Math.min(...rates)) * 100) / 100;

/** How far apart each side of a pair made its rates: `{ engine, peer }`, each the larger ÷ the smaller. */
export const pairSpread = ({ engine, peer }) => ({ engine: spreadOf(engine), peer: spreadOf(peer) });

/** Whether a pair's sides each made their rates within UNSTEADY_PAIR. */
const steadyPair = (pair) => {
  const spread = pairSpread(pair);
  return Math.max(spread.engine, spread.peer) <= UNSTEADY_PAIR;
};

/** The engine's rate ÷ its peer's in the paired runs `id` of `workload` (engine, peer, peer, engine), if they ran. */
function versusRatio(p, id, workload) {
  const pair = ok(p[id])?.workloads?.[workload];
  if (!(pair?.engine?.length > 0 && pair?.peer?.length > 0)) return undefined;
  return ratio(meanOf(pair.engine), meanOf(pair.peer));
}

/** The engine on Kafka as the bench runs it beside the client alone: its main phase, its pairing, and its name in the targets. */
export const KAFKA_ENGINES = [
  { phase: 'engine-kafka', pairing: 'versus-client', label: 'kafka' },
  { phase: 'engine-kafka-split', pairing: 'versus-client-split', label: 'kafka, roles split' },
];

/** The pairing of one of KAFKA_ENGINES with the Kafka client alone. */
function versusClient({ phase, pairing, label }) {
  return {
    id: pairing,
    engine: `engine (${label}) steps/s`,
    peer: 'the Kafka client alone round trips/s',
    ratio: 'steps/s ÷ round trips/s',
    mainEngine: (p, w) => ok(p[phase])?.workloads?.[w]?.saturation?.stepsPerSec,
    mainPeer: (p) => ok(p['client-alone'])?.saturation?.roundTripsPerSec,
  };
}

/** Each pairing, and where its two rates are in the main phases (`mainEngine`, `mainPeer`). */
const VERSUS = [
  {
    id: 'versus-bullmq',
    engine: 'engine (embedded) runs/s',
    peer: 'BullMQ runs/s',
    ratio: 'engine ÷ BullMQ',
    mainEngine: (p, w) => ok(p['engine-embedded'])?.workloads?.[w]?.saturation?.runsPerSec,
    mainPeer: (p, w) => ok(p.bullmq)?.workloads?.[w]?.saturation?.runsPerSec,
  },
  ...KAFKA_ENGINES.map(versusClient),
];

/** The same two rates in the main phases, as `engine ÷ peer = ratio`; a dash when one did not run. */
function mainPhases(p, w, { mainEngine, mainPeer }) {
  const engine = mainEngine(p, w);
  const peer = mainPeer(p, w);
  return engine === undefined || peer === undefined ? '—' : `${fmt(engine)} ÷ ${fmt(peer)} = ${fmt(ratio(engine, peer), 3)}x`;
}

/** The paired runs that the 1x and 0.3x targets read. */
function versusSection(p) {
  const tables = VERSUS.flatMap((pairing) => {
    const rows = WORKLOADS.flatMap((w) => {
      const value = versusRatio(p, pairing.id, w);
      if (value === undefined) return [];
      const pair = p[pairing.id].workloads[w];
      return [`| ${w} | ${pair.engine.map((v) => fmt(v)).join(', ')} | ${pair.peer.map((v) => fmt(v)).join(', ')} | ${fmt(value, 3)}x | ${steadiness(pair)} | ${mainPhases(p, w, pairing)} |`];
    });
    return rows.length === 0 ? [] : [`| workload | ${pairing.engine} | ${pairing.peer} | ${pairing.ratio} | runs apart (engine, peer) | the same in the main phases |`, '|---|---|---|---|---|---|', ...rows, ''];
  });
  return section(
    'The targets that compare phases, paired',
    `The phases above run minutes apart, and the machine drifts in between. For the targets that compare the embedded engine with BullMQ and the engine on Kafka (every role in one process, and each in its own) with the Kafka client alone, each workload ran again at saturation only, in the order engine, peer, peer, engine, each in a fresh process; the ratio is that of the means. **runs apart**: each side's larger rate over its smaller; over ${UNSTEADY_PAIR}x the machine moved unevenly under the pair, which then ran once more (in a full run) and the steadier attempt is the one shown, **unsteady** if it still was. The last column gives the two rates of the main phases beside them: where a system made much more or less in its pair than in its main phase, the machine or the system moved between them.`,
    tables,
  );
}

/** A pair's spread as the report prints it: each side's runs apart, how many attempts, and whether it was unsteady. */
function steadiness(pair) {
  const spread = pairSpread(pair);
  const attempts = pair.attempts > 1 ? `, the steadier of ${pair.attempts} attempts` : '';
  return `${fmt(spread.engine, 2)}x, ${fmt(spread.peer, 2)}x${attempts}${steadyPair(pair) ? '' : ': **unsteady**'}`;
}

/** The engine on Kafka: its steps/s over the Kafka client alone's round trips/s, at least. */
const KAFKA_ENGINE_TARGET = 0.3;
/** The embedded engine: its runs/s over BullMQ's, at least. */
const EMBEDDED_ENGINE_TARGET = 1;

/** Every benchmark target, with its measured value; `met` is null when it could not be measured. */
export function evaluateTargets(result) {
  const p = result.phases;
  const targets = [];
  const add = (target, subject, value, threshold, cmp, unit = '', pair = undefined) => {
    const met = value === undefined || value === null ? null : cmp === '>=' ? value >= threshold : value <= threshold;
    targets.push({ target, subject, value: value ?? null, threshold: `${cmp} ${threshold}${unit}`, unit, met, ...(pair !== undefined && !steadyPair(pair) ? { unsteady: true } : {}) });
  };
  const pairOf = (id, w) => ok(p[id])?.workloads?.[w];
  const rawKafka = ok(p['raw-kafka'])?.saturation?.roundTripsPerSec;
  const client = ok(p['client-alone'])?.saturation?.roundTripsPerSec;
  add('our transport vs the Kafka client alone (round trips/s, 64 in flight)', 'kafka', ratio(rawKafka, client), 0.8, '>=', 'x', transportPair(p));
  for (const { pairing, label } of KAFKA_ENGINES) {
    for (const w of ['chain10', 'fanout20']) {
      const paired = versusRatio(p, pairing, w);
      if (paired !== undefined) add('engine steps/s vs the Kafka client alone round trips/s', `${label} ${w} (paired)`, paired, KAFKA_ENGINE_TARGET, '>=', 'x', pairOf(pairing, w));
    }
  }
  for (const { phase, label } of KAFKA_ENGINES) {
    for (const w of ['chain10', 'fanout20']) {
      add('engine steps/s vs the Kafka client alone round trips/s', `${label} ${w}`, ratio(ok(p[phase])?.workloads?.[w]?.saturation?.stepsPerSec, client), KAFKA_ENGINE_TARGET, '>=', 'x');
    }
  }
  for (const w of WORKLOADS) {
    const paired = versusRatio(p, 'versus-bullmq', w);
    const subject = paired === undefined ? `embedded ${w}` : `embedded ${w} (paired)`;
    const value = paired ?? ratio(ok(p['engine-embedded'])?.workloads?.[w]?.saturation?.runsPerSec, ok(p.bullmq)?.workloads?.[w]?.saturation?.runsPerSec);
    add('embedded engine vs BullMQ (runs/s at saturation)', subject, value, EMBEDDED_ENGINE_TARGET, '>=', 'x', paired === undefined ? undefined : pairOf('versus-bullmq', w));
  }
  for (const w of WORKLOADS) {
    add('engine steps/s vs raw Kafka round trips/s', `kafka ${w}`, ratio(ok(p['engine-kafka'])?.workloads?.[w]?.saturation?.stepsPerSec, rawKafka), 0.5, '>=', 'x');
  }
  for (const [bus, threshold] of [['kafka', 1.5], ['embedded', 2]]) {
    for (const w of WORKLOADS) {
      const engine = ok(p[`engine-${bus}`])?.workloads?.[w]?.saturation?.runsPerSec;
      const peer = ok(p.bullmq)?.workloads?.[w]?.saturation?.runsPerSec;
      add('ahead of BullMQ (runs/s ratio at saturation)', `${bus} ${w}`, ratio(engine, peer), threshold, '>=', 'x');
    }
  }
  for (const [phase, label] of [['engine-embedded', 'embedded'], ['engine-kafka', 'kafka'], ['engine-kafka-split', 'kafka, roles split']]) {
    for (const w of WORKLOADS) {
      const l = ok(p[phase])?.workloads?.[w]?.fixed?.latency;
      add('task-to-next p50 at half saturation', `${label} ${w}`, l?.taskToNext?.p50, 5, '<=', ' ms');
      add('task-to-next p99 at half saturation', `${label} ${w}`, l?.taskToNext?.p99, 25, '<=', ' ms');
    }
  }
  for (const bus of ['embedded', 'kafka']) {
    for (const w of WORKLOADS) {
      add('event-to-WebSocket p99 at half saturation', `${bus} ${w}`, ok(p[`engine-${bus}`])?.workloads?.[w]?.fixed?.latency.wsLatency.p99, 100, '<=', ' ms');
    }
  }
  add('orchestrator heap per idle active run', ok(p.memory)?.bus ?? 'embedded', ok(p.memory)?.bytesPerRun, 2048, '<=', ' B');
  add('orchestrator heap per finished run', ok(p.memory)?.finished?.bus ?? 'kafka', ok(p.memory)?.finished?.bytesPerRun, 64, '<=', ' B');
  return targets;
}

const lat = (s) => (s ? `${fmt(s.p50)} / ${fmt(s.p95)} / ${fmt(s.p99)}` : '—');

/** How each system's client started runs (bench/lib/starts.mjs); older results do not say. */
function startSettings(starts) {
  if (starts === undefined) return '';
  const how = { single: 'one request per run', batched: 'the runs of one turn of the client in one request' };
  const engine =
    starts.engine === 'bus'
      ? 'the runs of one turn of the client written to the bus as StartRun commands (`RunStarter`), where its process holds the bus (the embedded engine in a process of its own: in one request, POST /api/v1/runs/batch)'
      : `${how[starts.engine]} (POST /api/v1/runs${starts.engine === 'batched' ? '/batch' : ''})`;
  return `; runs started by the engine's client ${engine}, by BullMQ's ${how[starts.bullmq]} (\`Queue.${starts.bullmq === 'batched' ? 'addBulk' : 'add'}\`), each its faster way`;
}

/** The partition counts the run used: the engine's per bus (its default unless the run set one), the transport's. */
function partitionSettings(result) {
  const engine = ['engine-embedded', 'engine-kafka'].map((id) => [id.slice('engine-'.length), ok(result.phases[id])?.partitions]).filter(([, n]) => n !== undefined);
  const raw = ok(result.phases['raw-embedded'])?.partitions ?? ok(result.phases['raw-kafka'])?.partitions;
  const parts = [];
  if (engine.length > 0) parts.push(`the engine at its bus's default partition count (${engine.map(([bus, n]) => `${bus} ${n}`).join(', ')})`);
  if (raw !== undefined) parts.push(`the round trips over ${raw} partitions`);
  return parts.length > 0 ? parts.join(', ') : `${result.settings.partitions ?? '—'} partitions`;
}

export function renderMarkdown(result) {
  const { machine: m, phases: p } = result;
  const out = [];
  out.push(`# Orchestrator-lite benchmark (${result.mode}, ${result.when})`, '');
  out.push('| machine | |', '|---|---|');
  out.push(`| CPU | ${m.cpu} |`, `| cores | ${m.cores} |`, `| memory | ${m.memoryGiB} GiB |`, `| OS | ${m.os} |`, `| Node | ${m.node} |`, `| Kafka | ${m.kafka} (single KRaft node on 127.0.0.1) |`);
  out.push(`| Redis | ${ok(p.bullmq)?.redisVersion ?? '—'} (BullMQ 6.7.0 on ioredis 6.0.0) |`, `| load average at start | ${m.loadAverageAtStart.join(' ')} |`, '');
  out.push(`Settings: ${partitionSettings(result)}, worker concurrency ${result.settings.concurrency} (BullMQ the same), runs in flight at saturation ${JSON.stringify(result.settings.window)}, fixed load = ${result.settings.loadFraction} x the saturated run rate${startSettings(result.settings.starts)}. Every role in one process with the bench's load and watching, as \`orch start\` runs them (on the embedded bus, the gateway on a thread of its own; on Kafka, the orchestrator, with a Kafka client of its own; in the "own process" rows, every role in one process and the bench's clients in another; in the "roles split" rows, gateway, orchestrator and worker each in its own process); the engine's processes and threads with the young generation \`orch\` gives them (semi-spaces of 32 MB), BullMQ, the Kafka client alone and our transport's round trip with Node's defaults; BullMQ in one process. Total ${result.seconds} s.`, '');
  out.push(...speedLines(m.speed));

  const failed = Object.entries(p).filter(([, v]) => v.status !== 'ok');
  for (const [id, v] of Object.entries(p)) {
    for (const [w, r] of Object.entries(v.workloads ?? {})) if (r.error) failed.push([`${id} ${w}`, { status: 'failed', error: r.error }]);
  }
  if (failed.length) {
    out.push('**Phases that did not produce figures:**', '');
    for (const [id, v] of failed) out.push(`- \`${id}\`: ${v.status.toUpperCase()} — ${v.error}`);
    out.push('');
  }

  out.push('## The limit: request/reply round trips', '');
  out.push(...warmupLines(p['broker-warmup']));
  const floor = ok(p['kafka-floor']);
  out.push(floor ? `Kafka's own one-hop floor, \`${floor.tool}\` (Java client, acks=all, ${floor.messages} records of ${floor.messageBytes} B one at a time): **p50 ${floor.latency.p50} ms, p99 ${floor.latency.p99} ms** (whole ms), mean ${fmt(floor.latency.mean, 2)} ms.` : `Kafka's EndToEndLatency: ${p['kafka-floor']?.error ?? 'not measured'}`, '');
  const clientRate = ok(p['client-alone'])?.saturation?.roundTripsPerSec;
  out.push('| what | in flight | round trips/s | latency p50 / p95 / p99 ms | ÷ the client alone |', '|---|---|---|---|---|');
  for (const [label, r] of [['the Kafka client alone (@platformatic/kafka, 2 processes)', ok(p['client-alone'])], ['our Transport on Kafka (2 processes)', ok(p['raw-kafka'])], ['our Transport, embedded', ok(p['raw-embedded'])]]) {
    for (const k of ['single', 'saturation']) {
      const base = ok(p['client-alone'])?.[k];
      out.push(`| ${label} | ${r?.[k]?.inFlight ?? '—'} | ${fmt(r?.[k]?.roundTripsPerSec)} | ${lat(r?.[k]?.latency)} | ${fmt(ratio(r?.[k]?.roundTripsPerSec, base?.roundTripsPerSec), 3)}x |`);
    }
  }
  out.push('', ...pairedLines(p), ...machineCpuLines(p), '');

  out.push('## Throughput at saturation', '');
  out.push('| workload | system | runs/s | steps/s | CPU µs/step | engine ÷ BullMQ (runs/s) | steps/s ÷ raw round trips/s (same bus) | steps/s ÷ the Kafka client alone |', '|---|---|---|---|---|---|---|---|');
  for (const w of WORKLOADS) {
    const peer = ok(p.bullmq)?.workloads?.[w]?.saturation;
    for (const [phase, bus, label] of [['engine-embedded', 'embedded', 'engine (embedded)'], ['engine-embedded-own', 'embedded', 'engine (embedded, own process)'], ['engine-kafka', 'kafka', 'engine (kafka)'], ['engine-kafka-split', 'kafka', 'engine (kafka, roles split)']]) {
      const s = ok(p[phase])?.workloads?.[w]?.saturation;
      const raw = ok(p[`raw-${bus}`])?.saturation?.roundTripsPerSec;
      const alone = bus === 'kafka' ? `${fmt(ratio(s?.stepsPerSec, clientRate), 3)}x` : '';
      out.push(`| ${w} | ${label} | ${fmt(s?.runsPerSec)} | ${fmt(s?.stepsPerSec)} | ${fmt(s?.cpuUsPerStep, 0)} | ${fmt(ratio(s?.runsPerSec, peer?.runsPerSec), 3)}x | ${fmt(ratio(s?.stepsPerSec, raw), 3)}x | ${alone} |`);
    }
    out.push(`| ${w} | BullMQ (Redis) | ${fmt(peer?.runsPerSec)} | ${fmt(peer?.stepsPerSec)} | ${fmt(peer?.cpuUsPerStep, 0)} | | | |`);
  }
  out.push('');

  out.push(...versusSection(p));
  out.push(...threadSection(p));
  out.push(...writesSection(p));
  out.push(...ceilingSection(p, m.cores));
  out.push(...partsSection(p, m.cores));
  out.push(...processSection(p));
  out.push(...curveSection(p));

  out.push('## Latency (ms, p50 / p95 / p99)', '');
  out.push('| workload | system | load | runs/s | dispatch | task-to-next (events) | hand-off (handlers) | event-to-WebSocket | run |', '|---|---|---|---|---|---|---|---|---|');
  for (const w of WORKLOADS) {
    for (const [name, phase] of [['engine (embedded)', p['engine-embedded']], ['engine (embedded, own process)', p['engine-embedded-own']], ['engine (kafka)', p['engine-kafka']], ['engine (kafka, roles split)', p['engine-kafka-split']], ['BullMQ', p.bullmq]]) {
      const r = ok(phase)?.workloads?.[w];
      for (const load of ['alone', 'fixed', 'saturation']) {
        const x = r?.[load];
        // Results written before the one-at-a-time loop have no such row.
        if (load === 'alone' && x === undefined) continue;
        const label = load === 'alone' ? 'one at a time' : load === 'fixed' ? `fixed ${fmt(x?.offeredRunsPerSec)} runs/s` : 'saturation';
        out.push(`| ${w} | ${name} | ${label} | ${fmt(x?.runsPerSec)} | ${lat(x?.latency?.dispatch)} | ${lat(x?.latency?.taskToNext)} | ${lat(x?.latency?.handoff)} | ${lat(x?.latency?.wsLatency)} | ${lat(x?.latency?.runLatency)} |`);
      }
    }
  }
  out.push('');
  const mem = ok(p.memory);
  const fin = mem?.finished;
  out.push(
    '## Memory',
    '',
    mem ? `Orchestrator alone (${mem.bus} bus), ${mem.runs} runs parked on a queue no worker serves: heap and array buffers ${fmt(mem.heapBefore / 2 ** 20)} → ${fmt(mem.heapAfter / 2 ** 20)} MiB after forced GC: **${mem.bytesPerRun} B per idle active run**.` : 'not measured',
    '',
    fin
      ? `Orchestrator alone (${fin.bus} bus), ${fin.runs} runs of one step answered by a scripted responder until SUCCEEDED and dropped from memory (${fin.retained} retained as finished): heap and array buffers ${fmt(fin.heapBefore / 2 ** 20)} → ${fmt(fin.heapAfter / 2 ** 20)} MiB after forced GC: **${fin.bytesPerRun} B per finished run**.${fin.bus === 'embedded' ? ' On the embedded bus this includes the bus\'s in-process tail of recent records, so it overstates the orchestrator\'s share.' : ''}`
      : 'Finished runs: not measured',
    '',
  );

  const pri = ok(p.priority);
  out.push('## Priorities under a low-priority flood', '', pri ? `One orchestrator and one worker (${pri.bus} bus, concurrency ${pri.concurrency}, ${pri.taskMs} ms tasks); ${pri.flood} runs of priority 3 started at once, then ${pri.probes} probe runs alternating priority 1 and 3. Probe latency from StartRun to RunSucceeded, p50 / p95 / p99 ms: **priority 1 ${lat(pri.highMs)}**, priority 3 ${lat(pri.lowMs)} (${fmt(pri.lowOverHighP50)}x the high p50).` : (p.priority?.error ?? 'not measured'), '');

  const scaling = ok(p.scaling);
  out.push('## Scaling with worker processes (Kafka, every role its own process)', '');
  if (scaling) {
    out.push('1 orchestrator, 1 gateway, N `orch worker --demo` processes; a batch of runs timed from the first POST to the last run SUCCEEDED.', '');
    for (const table of scaling.tables) {
      out.push(`**${table.id}**: ${table.description}`, '', '| worker processes | runs/s | steps/s | vs 1 worker |', '|---:|---:|---:|---:|');
      for (const r of table.rows) out.push(`| ${r.workers} | ${fmt(r.runsPerSecond)} | ${fmt(r.stepsPerSecond, 0)} | ${fmt(r.speedup, 2)}x |`);
      out.push('');
    }
  } else out.push(p.scaling?.error ?? 'not measured');
  out.push('');
  const recovery = ok(p.recovery);
  out.push('## Recovery after kill -9 of an orchestrator', '');
  if (recovery) {
    const d = recovery.progressAfterKillMs;
    out.push(`Two orchestrator processes, ${recovery.runs} active runs (chains of ${recovery.stepMs} ms steps). One orchestrator is killed with SIGKILL; the survivor restored ${recovery.partitionsTakenOver} partitions. Time from the kill until each run's next event: p50 ${fmt(d.p50, 0)} ms, p95 ${fmt(d.p95, 0)} ms, **the last run ${fmt(d.max, 0)} ms** (the Kafka session timeout, 6 s, bounds the takeover).`);
  } else out.push(p.recovery?.error ?? 'not measured');
  out.push('');

  out.push('## Targets', '');
  out.push('| target | subject | measured | target | met |', '|---|---|---|---|---|');
  for (const t of result.targets) {
    const v = t.value === null ? '—' : `${fmt(t.value, t.unit === 'x' ? 3 : 1)}${t.unit}`;
    const unsteady = t.unsteady ? ' (an unsteady pair: see above)' : '';
    out.push(`| ${t.target} | ${t.subject} | ${v} | ${t.threshold} | ${t.met === null ? 'NOT MEASURED' : t.met ? 'met' : 'MISSED'}${unsteady} |`);
  }
  out.push('');
  out.push('## Definitions', '');
  out.push('- **steps/s**: StepSucceeded events (engine) or completed jobs (BullMQ) per second inside the measurement window; **runs/s**: runs that finished in the window.');
  out.push('- **saturation**: a closed loop keeping a fixed number of runs in flight; **fixed**: an open loop starting runs at half the saturated rate; **one at a time**: a closed loop of one run, each started when the last ended: what a single workflow takes on an idle system.');
  out.push('- **dispatch**: StepScheduled.at → handler start (BullMQ: job added → handler start). **task-to-next (events)**: StepSucceeded.at of the last dependency → the step\'s start as its worker reported it (StepStarted, or with a short attempt the StepSucceeded that carries it). **hand-off (handlers)**: the last dependency\'s handler end → the step\'s handler start, both instrumented (comparable across engine and BullMQ).');
  out.push('- **event-to-WebSocket**: event `at` → receipt of its frame by a client of the gateway\'s `/api/v1/stream` (all runs). **run**: start request → terminal event received.');
  out.push('- The raw round trip uses our Transport (on @platformatic/kafka for Kafka): produce a request; a replier consumes it and, in one commit(offsets, produce), sends the reply; the requester consumes it. **The Kafka client alone** does the same with the client\'s own Producer and Consumer stream and no project code, the replier in a second process.');
  out.push('- **roles split**: gateway, orchestrator and worker each in its own OS process on Kafka, as deployed; **own process**: every role in one OS process on the embedded bus, as `orch start` runs them, the bench\'s clients in another. Handlers are not timed there, so dispatch and hand-off are empty.');
  out.push('');
  return `${out.join('\n')}\n`;
}

/** The thread groups of `cpuByThread`, in the columns' order. */
const THREAD_GROUPS = ['main', 'workers', 'v8', 'other'];

/** How far the phases, measured minutes apart, saw the same machine (see bench/lib/speed-probe.mjs). */
function speedLines(speed) {
  if (!Array.isArray(speed) || speed.length < 2) return [];
  const values = speed.map((s) => s.ms);
  const spread = Math.max(...values) / Math.min(...values);
  const verdict =
    spread > 1.25
      ? `**The machine's speed varied ${fmt(spread, 2)}× during this run**: a ratio between phases measured minutes apart (the engine ÷ BullMQ, say) carries that much of the machine's drift. Ratios within a phase carry none of it, and those of the pairs run in the order A B B A (the client alone and our transport, and the paired targets below) little, where the machine moved evenly under them (their runs apart say).`
      : `It varied ${fmt(spread, 2)}× from the fastest phase to the slowest.`;
  return [`Machine speed before each phase: a fixed piece of JavaScript took ${speed.map((s) => `${s.ms} ms (${s.phase})`).join(', ')}. ${verdict}`, ''];
}

/** How the broker was warmed before the phases on Kafka, and whether its JIT compiler had settled. */
function warmupLines(phase) {
  const w = ok(phase);
  if (!w) return phase ? [`The broker's warm-up: ${phase.error}`, ''] : [];
  const first = w.rounds[0];
  const last = w.rounds.at(-1);
  const rounds = `${w.rounds.length} rounds of ${fmt(w.roundMs / 1000)} s (${fmt(w.seconds)} s in all)`;
  const rates = `the client alone made ${fmt(first.roundTripsPerSec, 0)} round trips/s in the first round and ${fmt(last.roundTripsPerSec, 0)} in the last`;
  if (!w.brokerObserved) return [`Before the phases on Kafka, the client alone's load ran ${rounds} to warm the broker, which is not on this machine (its JIT compiler not observed): ${rates}.`, ''];
  const jit = `its JIT compiler kept ${fmt(first.brokerCores.compiler, 2)} of a core busy in the first round and ${fmt(last.brokerCores.compiler, 2)} in the last (its request threads ${fmt(first.brokerCores.requests, 2)} and ${fmt(last.brokerCores.requests, 2)})`;
  const verdict = w.settled ? `under ${w.settledShare} of a core: warm` : `**not yet under ${w.settledShare} of a core**: the first phases on Kafka shared the cores with it`;
  return [`Before the phases on Kafka, the broker was warmed with the client alone's load, ${rounds}: ${jit}, ${verdict}; ${rates}.`, ''];
}

/**
 * The client alone's and our transport's A B B A as a pair (`engine` our transport, `peer` the
 * client alone): each side's saturation rates and the attempts run; none unless both ran twice.
 */
function transportPair(p) {
  const alone = ok(p['client-alone']);
  const ours = ok(p['raw-kafka']);
  if (!(alone?.runs?.length > 1 && ours?.runs?.length > 1)) return undefined;
  return { engine: ours.runs.map((r) => r.saturation), peer: alone.runs.map((r) => r.saturation), attempts: ours.attempts };
}

/** The runs behind the paired rows of the limit table. */
function pairedLines(p) {
  const pair = transportPair(p);
  if (pair === undefined) return [];
  const list = (rates) => rates.map((x) => fmt(x)).join(' and ');
  return [
    `The client alone and our transport on Kafka ran twice each, in the order client, transport, transport, client, so that a drift of the machine weighs on both alike; each of their rows is the mean of its two runs (at ${ok(p['client-alone']).saturation.inFlight} in flight, the client alone ${list(pair.peer)} round trips/s, our transport ${list(pair.engine)}). Runs apart (our transport, the client alone): ${steadiness(pair)}; over ${UNSTEADY_PAIR}x the machine moved unevenly under them, and a full run then runs the four once more and keeps the steadier attempt.`,
    '',
  ];
}

/**
 * On a machine that the broker shares, throughput is the machine's CPU divided by the CPU a step
 * costs it: the client alone's round trip and the engine's step, each with the local broker's share.
 */
function machineCpuLines(p) {
  const alone = ok(p['client-alone'])?.saturation;
  if (!alone?.brokerCounted || !(alone.cpuUsPerRoundTrip > 0)) return [];
  const steps = WORKLOADS.map((w) => [w, ok(p['engine-kafka'])?.workloads?.[w]?.saturation])
    .filter(([, s]) => s?.brokerCounted && s.cpuUsPerStep > 0)
    .map(([w, s]) => `${w} ${s.cpuUsPerStep} µs (${fmt(s.cpuUsPerStep / alone.cpuUsPerRoundTrip, 1)}×)`);
  return [
    `The machine's CPU per round trip of the client alone at ${alone.inFlight} in flight, both processes and the broker: **${alone.cpuUsPerRoundTrip} µs**.` +
      (steps.length > 0 ? ` Per step of the engine on Kafka at saturation, its process and the broker: ${steps.join(', ')}.` : ''),
  ];
}

/**
 * Where a step's CPU went at saturation, by thread of the process (Linux): which one to make
 * cheaper. `outside` is the server's share: Redis for BullMQ, the local broker on Kafka. Below it,
 * the system calls and page faults per step by thread: on a virtual machine each one costs tens of
 * µs, so they explain CPU that no profile of the JavaScript shows.
 */
function threadSection(p) {
  const cpuRows = [];
  const callRows = [];
  const waitRows = [];
  for (const w of WORKLOADS) {
    for (const { phase, label, peer } of SYSTEMS) {
      const s = ok(p[phase])?.workloads?.[w]?.saturation;
      const t = s?.cpuByThread;
      if (!t) continue;
      cpuRows.push(`| ${w} | ${label} | ${fmt(s.cpuUsPerStep, 0)} | ${THREAD_GROUPS.map((g) => t[g]).join(' | ')} | ${peer || s.brokerCounted ? t.outside : ''} |`);
      if (t.calls) callRows.push(`| ${w} | ${label} | ${THREAD_GROUPS.map((g) => `${t.calls.syscalls[g]} / ${t.calls.faults[g]}`).join(' | ')} |`);
      if (t.waited) waitRows.push(`| ${w} | ${label} | ${THREAD_GROUPS.map((g) => `${t.waited[g]} (${t[g] > 0 ? fmt((100 * t.waited[g]) / (t[g] + t.waited[g]), 0) : 0}%)`).join(' | ')} |`);
    }
  }
  if (cpuRows.length === 0) return [];
  const calls =
    callRows.length === 0
      ? []
      : [
          'Read and write system calls / minor page faults per step, by thread (the same loop). A message to a worker thread is a write to wake it; the embedded bus\'s group commits, on the event loop, make two writes per database page of each transaction (SQLite writes a WAL frame\'s header and its page apart).',
          '',
          '| workload | system | event loop | worker threads | V8 | other |',
          '|---|---|---|---|---|---|',
          ...callRows,
          '',
        ];
  const waits =
    waitRows.length === 0
      ? []
      : [
          'Ready to run but waiting for a CPU, µs per step by thread (the same loop; `/proc/self/task/<tid>/schedstat`), and in brackets that wait\'s share of the time the thread was ready (its CPU and its wait). On a 2-core machine the event loop shares the cores with the process\'s other threads and with the server beside it: a step it waits for is a step it does not make, however idle the machine is on average.',
          '',
          '| workload | system | event loop | worker threads | V8 | other |',
          '|---|---|---|---|---|---|',
          ...waitRows,
          '',
        ];
  return [
    '## CPU per step by thread (µs, at saturation)',
    '',
    'From `/proc/self/task` over the saturation loop. **event loop**: the process\'s main thread; **worker threads**: the embedded bus\'s WAL checkpointer and compaction, on Kafka the gateway\'s read store and the orchestrator (with a Kafka client of its own), and embedded the gateway itself, which writes its read store on its own thread (the embedded bus writes on the event loop); **V8**: garbage collection and compilation; **outside**: the CPU of the server beside the process, Redis for BullMQ and, on Kafka, the broker when it runs on this machine (read from `/proc/<pid>/stat`; blank when it is remote). **all** counts it. `node bench/step-cpu.mjs` gives the engine\'s own logic, without the plumbing, for comparison.',
    '',
    '| workload | system | all | event loop | worker threads | V8 | other | outside |',
    '|---|---|---|---|---|---|---|---|',
    ...cpuRows,
    '',
    ...calls,
    ...waits,
    ...brokerThreadLines(p),
  ];
}

/**
 * The local broker's share by its threads: what its request threads cost per record written,
 * for the client alone and for the engine, and how much of it was its JIT compiler still at work.
 */
function brokerThreadLines(p) {
  const GROUPS = ['requests', 'compiler', 'gc', 'cleaner', 'other'];
  const rows = [];
  const row = (label, unit, threads, records) =>
    rows.push(`| ${label} | ${unit} | ${GROUPS.map((g) => threads[g]).join(' | ')} | ${records > 0 ? `${fmt(records, 2)} → ${fmt(threads.requests / records, 0)}` : '—'} |`);
  const alone = ok(p['client-alone'])?.saturation;
  // A round trip writes two records: the request and its reply.
  if (alone?.brokerThreads) row('the client alone', 'round trip', alone.brokerThreads, 2);
  for (const w of WORKLOADS) {
    const s = ok(p['engine-kafka'])?.workloads?.[w]?.saturation;
    if (s?.brokerThreads) row(`engine (kafka), ${w}`, 'step', s.brokerThreads, s.writes?.recordsPerStep);
  }
  if (rows.length === 0) return [];
  return [
    "The local broker's CPU by its threads, µs per round trip or step (the same loops; `/proc/<pid>/task`): its request threads (network and request handlers), its JIT compiler, its garbage collector, its log cleaner (compacted topics), the rest; and the records a round trip or step writes, with the request threads' µs per record written.",
    '',
    '| what | per | request threads | JIT compiler | GC | log cleaner | other | records → request threads µs/record |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
}

/**
 * The bus's writes at saturation (Transport.writeStats): how a step's records were gathered into
 * requests, and what a write waited before its request and then for its acknowledgement, which
 * a record of a step pays on its way to the next step.
 */
function writesSection(p) {
  const rows = [];
  for (const w of WORKLOADS) {
    for (const { phase, label } of SYSTEMS) {
      const x = ok(p[phase])?.workloads?.[w]?.saturation?.writes;
      if (!x) continue;
      rows.push(`| ${w} | ${label} | ${fmt(x.recordsPerStep)} | ${fmt(x.requestsPerSec, 0)} | ${fmt(x.recordsPerRequest, 1)} | ${fmt(x.writesPerRequest, 1)} | ${fmt(x.waitMsPerWrite)} | ${fmt(x.msPerRequest)} | ${fmt(100 * x.underWay, 0)}% |`);
    }
  }
  if (rows.length === 0) return [];
  return section(
    "The bus's writes at saturation",
    "Every role in one process shares one bus (on Kafka, all but the orchestrator, whose thread has a client of its own; both clients are counted). A **write** is a produce call or a commit with records; the writes made while a request is under way go together in the next one: a produce request on Kafka (one at a time for each client), a group commit on the embedded bus (one SQLite transaction on the event loop). **wait** is a write's mean time from its call to its request's start, **request** a request's mean time to its acknowledgement (Kafka: the broker's answer as the event loop reads it; embedded: the transaction), **under way** the share of the time a request was (summed over the clients, so up to 2 with two). A step's records pay both twice on the way to the next step: its result, then the next task. Over the whole loop, warm-up and drain included.",
    ['| workload | system | records/step | requests/s | records/request | writes/request | wait (ms) | request (ms) | under way |', '|---|---|---|---|---|---|---|---|---|', ...rows, ''],
  );
}

/** A system's saturation figures when its CPU per step counts its server too (Redis, or the local broker), else undefined. */
function wholeStep(p, { phase, peer }, workload) {
  const s = ok(p[phase])?.workloads?.[workload]?.saturation;
  if (!(s?.cpuUsPerStep > 0 && s.stepsPerSec > 0) || !s.cpuByThread) return undefined;
  return peer || s.brokerCounted || phase === 'engine-embedded' ? s : undefined;
}

/**
 * What each system's CPU per step would allow with every core of the machine busy, and how much
 * of that it reached. The engine's ratio to BullMQ is the product of two ratios: what a step costs
 * (the steps/s at full use), and how busy it keeps the machine (used): the first says whether to
 * make steps cheaper, the second whether to keep the cores busier.
 */
function ceilingSection(p, cores) {
  const rows = [];
  const peer = SYSTEMS.find((x) => x.peer);
  for (const w of WORKLOADS) {
    const peerStep = peer && wholeStep(p, peer, w);
    const peerFull = peerStep && (cores * 1e6) / peerStep.cpuUsPerStep;
    for (const system of SYSTEMS) {
      const s = wholeStep(p, system, w);
      if (!s) continue;
      const full = (cores * 1e6) / s.cpuUsPerStep;
      const versus = system.peer || !peerFull ? '' : `${fmt(full / peerFull, 3)}x`;
      rows.push(`| ${w} | ${system.label} | ${fmt(s.cpuUsPerStep, 0)} | ${fmt(s.stepsPerSec)} | ${fmt(full, 0)} | ${fmt((100 * s.stepsPerSec) / full, 0)}% | ${versus} |`);
    }
  }
  return section(
    `What the CPU per step allows (${cores} cores)`,
    `The steps/s each system would make with all ${cores} cores of this machine busy: ${cores} × 10⁶ ÷ its CPU per step at saturation, every thread and the server beside it counted (Redis; the broker, when it runs on this machine). **used**: the steps/s it made ÷ that. An engine's ratio to BullMQ in steps/s is its ratio at full use (the last column, what a step costs) times the ratio of the two **used** (how busy each kept the machine).`,
    ['| workload | system | CPU µs/step | steps/s | steps/s at full use | used | at full use ÷ BullMQ |', '|---|---|---|---|---|---|---|', ...rows, ''],
  );
}

/**
 * Per bus, a chain step's parts, each measured alone in this run, beside what a step cost: the
 * least a step can cost the machine as the engine is built, and the share of a step that is
 * neither the records nor the logic nor the read store (threads handing work over, garbage, HTTP,
 * the stream). The records are counted at the bus's own round trip's CPU per record (two written
 * and read a round trip): the client alone's on Kafka, our transport's on the embedded bus. Each
 * bus is set against its target's peer: the client alone's round trips/s, and BullMQ's steps/s
 * with every core busy.
 */
function partsSection(p, cores) {
  const parts = ok(p['step-parts']);
  if (!parts) return [];
  const w = parts.workload;
  // The logic's gateway stage decodes and folds the events; the read store's figure folds them again.
  const logic = parts.logicUsPerStep - (parts.logicStages.gateway ?? 0);
  const store = parts.storeUsPerEvent * parts.eventsPerStep;
  const atFull = (us) => (cores * 1e6) / us;
  const bullmq = wholeStep(p, SYSTEMS.find((x) => x.peer), w);
  const buses = [
    { bus: 'kafka', trip: ok(p['client-alone'])?.saturation, step: wholeStep(p, SYSTEMS.find((x) => x.phase === 'engine-kafka'), w), peer: "the client alone's round trips/s", peerRate: ok(p['client-alone'])?.saturation?.roundTripsPerSec, target: KAFKA_ENGINE_TARGET },
    { bus: 'embedded', trip: ok(p['raw-embedded'])?.saturation, step: wholeStep(p, SYSTEMS.find((x) => x.phase === 'engine-embedded'), w), peer: "BullMQ's steps/s at full use", peerRate: bullmq && atFull(bullmq.cpuUsPerStep), target: EMBEDDED_ENGINE_TARGET },
  ];
  const rows = [];
  for (const { bus, trip, step, peer, peerRate, target } of buses) {
    if (!(trip?.cpuUsPerRoundTrip > 0) || trip.brokerCounted === false || !(step?.writes?.recordsPerStep > 0) || !(peerRate > 0)) continue;
    const records = (step.writes.recordsPerStep * trip.cpuUsPerRoundTrip) / 2;
    const least = records + logic + store;
    const versus = (us) => `${fmt(atFull(us) / peerRate, 2)}x`;
    rows.push(
      `| ${bus} | ${fmt(step.writes.recordsPerStep, 2)} × ${fmt(trip.cpuUsPerRoundTrip / 2, 1)} = ${fmt(records, 0)} | ${fmt(logic, 0)} | ${fmt(store, 0)} | **${fmt(least, 0)}** | ${fmt(step.cpuUsPerStep, 0)} (the rest ${fmt((100 * (step.cpuUsPerStep - least)) / step.cpuUsPerStep, 0)}%) | ${peer}: ${fmt(peerRate, 0)} | ${versus(least)} | ${versus(step.cpuUsPerStep)} | ${target}x |`,
    );
  }
  return section(
    `A ${w} step's parts, each alone`,
    `What a step must do, each part measured alone in this run, in µs of the machine's CPU per step, against what a step of the engine cost at saturation (every thread; on Kafka the broker too). **records**: the records a step writes (the table of the bus's writes), each at half the CPU of the bus's own request/reply round trip at saturation (two records written and read): the Kafka client alone's, the broker's share counted, and our transport's on the embedded bus. **logic**: the worker's and the orchestrator's work on a step with no bus and no I/O (\`node bench/step-cpu.mjs\`). **read store**: the gateway's SQLite store folding and writing a step's ${fmt(parts.eventsPerStep, 2)} events as it batches them at saturation (\`node bench/read-store-write.mjs\`; the gateway's decode of the events is left out, so the parts are a lower bound). The rest of a step is handing work between threads and processes, garbage, the HTTP requests and the live stream. The last columns: the steps/s with all ${cores} cores busy at the parts' cost and at a step's, each over the target's peer.`,
    rows.length === 0
      ? []
      : ['| bus | records | logic | read store | **the parts** | a step cost | the peer | the parts ÷ the peer | a step ÷ the peer | target |', '|---|---|---|---|---|---|---|---|---|---|', ...rows, ''],
  );
}

/** The processes of `cpuByProcess` (roles split, or every role in one process of its own), in the columns' order. */
const PROCESSES = [
  ['engine', 'every role'],
  ['orchestrator', 'orchestrator'],
  ['worker', 'worker'],
  ['gateway', 'gateway'],
  ['broker', 'broker'],
  ['load', 'load and watch'],
];

/**
 * Where a step's CPU went with each role in its own process: which role to make cheaper. The
 * bench's own process starts the runs (through the bus on Kafka, over HTTP to an embedded engine)
 * and follows the stream, as a client does.
 */
function processSection(p) {
  const rows = [];
  for (const w of WORKLOADS) {
    for (const [phase, label] of [['engine-embedded-own', 'embedded, own process'], ['engine-kafka-split', 'kafka, roles split']]) {
      const s = ok(p[phase])?.workloads?.[w]?.saturation;
      const c = s?.cpuByProcess;
      if (!c) continue;
      rows.push(`| ${w} | ${label} | ${fmt(s.cpuUsPerStep, 0)} | ${PROCESSES.map(([k]) => (c[k] === undefined ? '' : c[k])).join(' | ')} |`);
    }
  }
  if (rows.length === 0) return [];
  return section(
    'CPU per step by process (µs, at saturation)',
    'From `/proc/<pid>/stat` over the saturation loop, with the engine in processes of its own: every role in one (**every role**, on the embedded bus, as `orch start` runs them), or gateway, orchestrator and worker each in its own on Kafka. **broker**: the local Kafka broker (blank when it is remote); **load and watch**: the bench\'s own process, which starts the runs (through the bus on Kafka, over HTTP to the embedded engine) and follows the WebSocket stream (in the one-process rows it is counted with the engine). **all** is their sum.',
    [`| workload | system | all | ${PROCESSES.map(([, label]) => label).join(' | ')} |`, `|---|---|---|${PROCESSES.map(() => '---|').join('')}`, ...rows, ''],
  );
}

/** A grouped bar chart of steps/s at saturation, with the raw Kafka round trip rate as a reference line. */
export function renderSvg(result) {
  const p = result.phases;
  const series = SYSTEMS.map(({ phase, label, color }) => ({ name: label, color, get: (w) => ok(p[phase])?.workloads?.[w]?.saturation?.stepsPerSec }));
  const raw = ok(p['raw-kafka'])?.saturation?.roundTripsPerSec;
  const alone = ok(p['client-alone'])?.saturation?.roundTripsPerSec;
  const values = WORKLOADS.flatMap((w) => series.map((s) => s.get(w) ?? 0));
  const max = Math.max(1, raw ?? 0, alone ?? 0, ...values) * 1.1;
  const W = 760, H = 420, left = 70, right = 20, top = 50, bottom = 70;
  const plotH = H - top - bottom;
  const groupW = (W - left - right) / WORKLOADS.length;
  const barW = (groupW * 0.7) / series.length;
  const y = (v) => top + plotH - (v / max) * plotH;
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, '<rect width="100%" height="100%" fill="white"/>'];
  parts.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">Steps/s at saturation (${esc(result.machine.cores)} cores, ${esc(result.machine.cpu)})</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (max / 5) * i;
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)}</text>`);
  }
  WORKLOADS.forEach((w, gi) => {
    const x0 = left + gi * groupW + groupW * 0.15;
    series.forEach((s, si) => {
      const v = s.get(w);
      const x = x0 + si * barW;
      if (v === undefined) {
        parts.push(`<text x="${x + barW / 2}" y="${top + plotH - 4}" text-anchor="middle" fill="#b00">n/a</text>`);
        return;
      }
      parts.push(`<rect x="${x}" y="${y(v)}" width="${barW - 2}" height="${top + plotH - y(v)}" fill="${s.color}"/><text x="${x + barW / 2}" y="${y(v) - 4}" text-anchor="middle">${Math.round(v)}</text>`);
    });
    parts.push(`<text x="${left + gi * groupW + groupW / 2}" y="${top + plotH + 18}" text-anchor="middle">${esc(w)}</text>`);
  });
  if (raw) parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(raw)}" y2="${y(raw)}" stroke="#b00" stroke-dasharray="6 4"/><text x="${W - right}" y="${y(raw) - 5}" text-anchor="end" fill="#b00">our Transport on Kafka, round trips/s: ${Math.round(raw)}</text>`);
  if (alone) parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(alone)}" y2="${y(alone)}" stroke="#555" stroke-dasharray="2 3"/><text x="${left + 4}" y="${y(alone) - 5}" fill="#555">the Kafka client alone, round trips/s: ${Math.round(alone)}</text>`);
  series.forEach((s, i) => parts.push(`<rect x="${left + i * 190}" y="${H - 28}" width="12" height="12" fill="${s.color}"/><text x="${left + i * 190 + 18}" y="${H - 18}">${esc(s.name)}</text>`));
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/**
 * Writes the report of `result` into `dir`: latest.md, latest.svg and, when the run measured
 * throughput curves, latest-curve.svg (else it removes one, so that no chart of an older run stays
 * beside the report). Returns the markdown and whether a curve chart was written.
 */
export function writeReport(result, dir) {
  const markdown = renderMarkdown(result);
  writeFileSync(`${dir}latest.md`, markdown);
  writeFileSync(`${dir}latest.svg`, renderSvg(result));
  const curves = hasCurves(result.phases);
  if (curves) writeFileSync(`${dir}latest-curve.svg`, renderCurveSvg(result));
  else rmSync(`${dir}latest-curve.svg`, { force: true });
  return { markdown, curves };
}
