#!/usr/bin/env node
/**
 * Profiles the hot path once under `node --cpu-prof`, then prints, for each thread of the process
 * (the event loop first, then each worker thread, named after the script it runs; then any process
 * the phase forked), how busy it was and the functions with the most self time, grouped by package:
 * the engine at saturation (chain10 by default), or with --phase=raw the transport's request/reply
 * round trip. With --split (Kafka) each role runs in a process of its own, as deployed, and each
 * process is profiled and named after its role. With --alloc, what the event loop allocates
 * instead (V8's sampling heap profiler, the objects already collected included: garbage is what
 * the collector's threads and pauses cost), by the function that allocated it.
 *
 *   node bench/profile.mjs [--phase=engine|raw] [--bus=embedded|kafka] [--workload=chain10] [--seconds=10] [--partitions=P] [--split] [--alloc] [--keep=FILE]
 *
 * Without --partitions the engine runs at its bus's default partition count, the round trip over 6.
 *
 * Each thread's table "by role" gives every sample to the innermost role on its stack (the
 * orchestrator, the worker, the gateway, the CLI or the bench's own code), else to the innermost
 * of the project's shared packages (transport, core, testing), else to its own area: the time a
 * library or node spends for a role is the role's.
 *
 * --keep writes the event loop's profile to FILE as well, and each other thread's beside it
 * (`trace.cpuprofile`, `trace.gateway-thread.cpuprofile`), to open in Chrome DevTools (Performance,
 * Load profile; with --alloc, Memory, Load).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { phaseFlags } from './lib/phase-process.mjs';
import { ENGINE_LOAD } from './lib/workloads.mjs';

/** The project's packages that serve the roles rather than being one (see the table by role). */
const SHARED_PACKAGES = new Set(['core', 'transport', 'testing']);

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const workload = arg('workload', 'chain10');
const seconds = Number(arg('seconds', '10'));
const phase = arg('phase', 'engine');
const bus = arg('bus', 'embedded');
if (!['engine', 'raw'].includes(phase)) throw new Error(`profile: --phase must be engine or raw, got ${phase}`);
if (!['embedded', 'kafka'].includes(bus)) throw new Error(`profile: --bus must be embedded or kafka, got ${bus}`);
if (!['chain10', 'fanout20', 'flaky'].includes(workload)) throw new Error(`profile: --workload must be chain10, fanout20 or flaky, got ${workload}`);
if (!(seconds > 0 && seconds <= 120)) throw new Error(`profile: --seconds must be 1..120, got ${seconds}`);
const split = process.argv.includes('--split');
if (split && (bus !== 'kafka' || phase !== 'engine' || process.argv.includes('--alloc'))) throw new Error('profile: --split needs --bus=kafka and the engine phase, and profiles the CPU only (not with --alloc)');
const partitions = arg('partitions', undefined) === undefined ? undefined : Number(arg('partitions'));
if (partitions !== undefined && !(Number.isInteger(partitions) && partitions >= 1 && partitions <= 64)) throw new Error(`profile: --partitions must be an integer from 1 to 64, got ${arg('partitions')}`);

const dir = mkdtempSync(join(tmpdir(), 'orch-profile-'));
const engineOptions = { bus, partitions, split, ...ENGINE_LOAD, workloads: [workload], warmupMs: 1000, measureMs: seconds * 1000, timeoutMs: 300_000 };
const rawOptions = { bus, partitions: partitions ?? 6, window: 64, warmupMs: 1000, measureMs: seconds * 1000, timeoutMs: 300_000 };
const [module, options] = phase === 'raw' ? ['raw-roundtrip', rawOptions] : ['engine', engineOptions];
const alloc = process.argv.includes('--alloc');
const allocFile = join(dir, 'alloc.heapprofile');
// The flags the bench starts the phase with: the engine with its young generation, the round trip with Node's defaults.
const execArgv = [...phaseFlags(module), ...(alloc ? ['--import', new URL('./lib/alloc-sampler.mjs', import.meta.url).href] : ['--cpu-prof', `--cpu-prof-dir=${dir}`])];
const child = fork(fileURLToPath(new URL('./lib/child.mjs', import.meta.url)), [module, JSON.stringify(options)], { execArgv, env: { ...process.env, BENCH_ALLOC_PROFILE: allocFile } });
const code = await new Promise((resolve) => child.on('exit', resolve));
if (code !== 0) throw new Error(`profile: the ${module} phase exited with ${code}`);
const keep = arg('keep', undefined);
const profiles = alloc ? [{ name: 'event-loop', text: readFileSync(allocFile, 'utf8') }] : cpuProfilesIn(dir, child.pid);
rmSync(dir, { recursive: true, force: true });
if (keep !== undefined) for (const [i, { name, text }] of profiles.entries()) writeFileSync(i === 0 ? keep : keep.replace(/(\.[^./]*)?$/, `.${name}$1`), text);
if (alloc) {
  printAllocations(profiles[0].text);
  process.exit(0);
}
const titleOf = (name, i) => (i === 0 ? 'the event loop' : name.startsWith('process-') ? `process ${name.slice('process-'.length)}` : `thread ${name}`);
for (const [i, { name, profile }] of profiles.entries()) printSelfTime(titleOf(name, i), profile, i === 0 ? 25 : 12);

/**
 * The profiles `--cpu-prof` wrote into `dir`, one a thread (`CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`):
 * the phase's event loop (process `pid`, thread 0) first, then its worker threads, each named
 * after the `-worker` script it runs, then any process the phase forked, named after its script
 * in `bench/peers` (the replier of the round trip on Kafka) or, for a role's process (--split),
 * after the role its samples went to, each followed by its own worker threads.
 */
function cpuProfilesIn(dir, pid) {
  const ids = (file) => file.split('.').slice(3, 5).map(Number);
  const order = (file) => {
    const [p, t] = ids(file);
    return (p === pid ? 0 : p) * 1e6 + t;
  };
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => order(a) - order(b));
  if (files.length === 0) throw new Error('profile: no .cpuprofile was written');
  /** Each forked process's name, from its event loop's profile, which comes before its threads'. */
  const processes = new Map();
  return files.map((file) => {
    const [p, t] = ids(file);
    const text = readFileSync(join(dir, file), 'utf8');
    const profile = JSON.parse(text);
    const named = (re) => profile.nodes.map((n) => re.exec(n.callFrame.url)?.[1]).find((name) => name !== undefined);
    const thread = named(/([^/]+)-worker\.js$/) ?? `thread-${t}`;
    if (p === pid) return { name: t === 0 ? 'event-loop' : thread, text, profile };
    if (t === 0) {
      const script = named(/bench\/peers\/([^/]+)\.mjs$/);
      processes.set(p, script === 'engine-role' ? (busiestRole(profile) ?? script) : (script ?? String(p)));
    }
    const name = `process-${processes.get(p) ?? p}`;
    return { name: t === 0 ? name : `${name}-${thread}`, text, profile };
  });
}

/** The engine's role (orchestrator, worker, gateway) that most of a profile's samples went to, by the table by role. */
function busiestRole(profile) {
  const roles = [...samplesByRole(profile, sampleCounts(profile))].filter(([role]) => ['orchestrator', 'worker', 'gateway'].includes(role));
  return roles.sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** The package (or node core, or the bench) a frame's script belongs to; `none` for a frame without one. */
function areaOf(url, none) {
  if (!url) return none;
  const m = /packages\/([^/]+)\//.exec(url) ?? /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node core';
  return url.includes('/bench/') ? 'bench' : url;
}

/** A frame as the tables name it: its function, and its script from the package on, with the line. */
function frameName({ functionName, url, lineNumber }) {
  return `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${lineNumber + 1}` : ''}`;
}

/** The bytes allocated by area and by function, from a sampling heap profile's text. */
function printAllocations(text) {
  const byFunction = new Map();
  const byArea = new Map();
  let total = 0;
  const walk = (node) => {
    if (node.selfSize > 0) {
      total += node.selfSize;
      const name = frameName(node.callFrame);
      byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize);
      const area = areaOf(node.callFrame.url, '(built-ins)');
      byArea.set(area, (byArea.get(area) ?? 0) + node.selfSize);
    }
    for (const c of node.children) walk(c);
  };
  walk(JSON.parse(text).head);
  const show = (map, limit) => [...map].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([k, n]) => `${((100 * n) / total).toFixed(1).padStart(5)}%  ${(n / 1e6).toFixed(1).padStart(7)} MB  ${k}`).join('\n');
  process.stdout.write(`bytes allocated on the event loop by area (${(total / 1e6).toFixed(0)} MB sampled, start to exit):\n${show(byArea, 12)}\n\ntop functions by bytes allocated:\n${show(byFunction, 30)}\n`);
}

/** A CPU profile's self time by area and by function; how busy the thread was. */
function printSelfTime(title, profile, limit) {
  // Self time per node: samples x mean interval.
  const counts = sampleCounts(profile);
  const interval = (profile.endTime - profile.startTime) / profile.samples.length / 1000;
  const total = profile.samples.length;
  const byFunction = new Map();
  const byArea = new Map();
  let idle = 0;
  for (const node of profile.nodes) {
    const n = counts.get(node.id) ?? 0;
    if (n === 0) continue;
    if (node.callFrame.functionName === '(idle)') idle += n;
    const name = frameName(node.callFrame);
    byFunction.set(name, (byFunction.get(name) ?? 0) + n);
    const area = areaOf(node.callFrame.url, '(native/gc/idle)');
    byArea.set(area, (byArea.get(area) ?? 0) + n);
  }
  const show = (map, top) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, n]) => `${((100 * n) / total).toFixed(1).padStart(5)}%  ${(n * interval).toFixed(0).padStart(6)} ms  ${k}`).join('\n');
  const byRole = samplesByRole(profile, counts);
  process.stdout.write(
    `\n${title}: ${total} samples, ${((total * interval) / 1000).toFixed(1)} s, busy ${((100 * (total - idle)) / total).toFixed(0)}% of it\n` +
      `self time by area:\n${show(byArea, Math.ceil(limit / 2))}\n\nby role:\n${show(byRole, Math.ceil(limit / 2))}\n\ntop functions by self time:\n${show(byFunction, limit)}\n`,
  );
}

/** How many samples each node of a CPU profile's call tree took. */
function sampleCounts(profile) {
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/**
 * Samples by the role each one was spent for (see the header): visits each node of the call tree
 * once, from the root down, carrying the innermost role and shared package met on the way.
 */
function samplesByRole(profile, counts) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const childIds = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  const byRole = new Map();
  const stack = profile.nodes.filter((n) => !childIds.has(n.id)).map((n) => ({ node: n, role: undefined, shared: undefined }));
  while (stack.length > 0) {
    const { node, role: above, shared: sharedAbove } = stack.pop();
    const area = areaOf(node.callFrame.url, '(native/gc/idle)');
    const project = /packages\//.test(node.callFrame.url) || area === 'bench';
    const role = project && !SHARED_PACKAGES.has(area) ? area : above;
    const shared = project && SHARED_PACKAGES.has(area) ? area : sharedAbove;
    const n = counts.get(node.id) ?? 0;
    if (n > 0) {
      const owner = role ?? shared ?? area;
      byRole.set(owner, (byRole.get(owner) ?? 0) + n);
    }
    for (const id of node.children ?? []) stack.push({ node: byId.get(id), role, shared });
  }
  return byRole;
}
