/**
 * The README's quick start, as a newcomer runs it: a fresh clone links `orch` at `npm install`
 * (so `npx orch` never reaches the npm registry), every command the README shows resolves, a
 * second `npm start` builds nothing and prints no build output, and `npx orch run` finds the
 * gateway that `npm start` runs on another PORT.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SEMI_SPACE_FLAG } from '@orchestrator-lite/transport';
import { freePort, tempDir, waitFor } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** `npx X`, `npm run X`, `npm start` and `npm test` in the README's shell blocks. */
function readmeCommands(readme: string): { npx: Set<string>; scripts: Set<string> } {
  const npx = new Set<string>();
  const scripts = new Set<string>();
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const text = block[1] ?? '';
    for (const m of text.matchAll(/\bnpx ([a-z][\w-]*)/g)) npx.add(m[1] ?? '');
    for (const m of text.matchAll(/\bnpm run ([\w:-]+)/g)) scripts.add(m[1] ?? '');
    for (const m of text.matchAll(/\bnpm (start|test)\b/g)) scripts.add(m[1] ?? '');
  }
  return { npx, scripts };
}

function npmInstall(dir: string): void {
  const args = ['install', '--ignore-scripts', '--no-audit', '--no-fund'];
  // From the local cache when it holds everything; the registry only for what it lacks.
  let result = spawnSync('npm', [...args, '--offline'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) result = spawnSync('npm', [...args, '--prefer-offline'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  assert.equal(result.status, 0, `npm install failed:\n${result.stdout}\n${result.stderr}`);
}

void test('a fresh clone: npm install links orch from a committed file, and every README command resolves', { timeout: 600_000 }, (t) => {
  const clone = join(tempDir(t, 'orch-clone-'), 'repo');
  const cloned = spawnSync('git', ['clone', '--quiet', '--depth', '1', `file://${ROOT}`, clone], { encoding: 'utf8' });
  assert.equal(cloned.status, 0, cloned.stderr);

  const cli = JSON.parse(readFileSync(join(clone, 'packages', 'cli', 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const target = join(clone, 'packages', 'cli', cli.bin.orch ?? '');
  assert.ok(existsSync(target), `the orch bin ${cli.bin.orch} is committed, not built`);
  accessSync(target, constants.X_OK);
  // Node with the engine's young generation (young-generation.ts in the transport package).
  assert.ok(readFileSync(target, 'utf8').startsWith(`#!/usr/bin/env -S node ${SEMI_SPACE_FLAG}\n`), 'the orch bin starts Node with the young generation flag');

  npmInstall(clone);
  const { npx, scripts } = readmeCommands(readFileSync(join(clone, 'README.md'), 'utf8'));
  assert.ok(npx.has('orch'), 'the README runs npx orch');
  for (const name of npx) {
    const link = join(clone, 'node_modules', '.bin', name);
    assert.ok(existsSync(link), `npx ${name}: node_modules/.bin/${name} exists, so npx never asks the registry`);
  }
  assert.equal(realpathSync(join(clone, 'node_modules', '.bin', 'orch')), realpathSync(target));
  const rootScripts = (JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  for (const name of scripts) assert.ok(rootScripts[name] !== undefined, `npm run ${name} is a script of the root package`);

  // Before a build, orch says how to build rather than failing obscurely.
  const unbuilt = spawnSync(join(clone, 'node_modules', '.bin', 'orch'), ['--help'], { cwd: clone, encoding: 'utf8' });
  assert.equal(unbuilt.status, 1);
  assert.match(unbuilt.stderr, /npm start/);
});

interface Started {
  child: ChildProcess;
  output: () => string;
}

/** `npm start` exactly as the README says, in its own process group so that it can be stopped whole. */
async function npmStart(t: TestContext, env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, KAFKA_BROKERS: '', LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  };
  t.after(stop);
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${log}`);
    return log.includes('Orchestrator-lite is ready');
  }, 300_000, () => `npm start never said it was ready:\n${log}`);
  return { child, output: () => log };
}

void test('npm start builds only what changed: a second start prints no build output; npx orch finds it on another PORT', { timeout: 600_000 }, async (t) => {
  const dataDir = tempDir(t);
  const port = await freePort();
  const env = { PORT: String(port), ORCH_DATA_DIR: dataDir };
  // The first start may build (a fresh checkout); stop it.
  const first = await npmStart(t, env);
  const exited = new Promise((resolve) => first.child.once('exit', resolve));
  process.kill(-(first.child.pid ?? 0), 'SIGTERM');
  await exited;

  const second = await npmStart(t, env);
  const lines = second.output().split('\n').filter((l) => l.trim() !== '');
  assert.deepEqual(lines.filter((l) => /vite|building|transforming|modules transformed|tsc/i.test(l)), [], 'nothing is built');
  assert.ok(lines.length < 20, `a quiet start:\n${lines.join('\n')}`);

  // Another shell: no PORT, no ORCH_GATEWAY_URL; the same folder (data dir) as npm start.
  const shellEnv: NodeJS.ProcessEnv = { ...process.env, ORCH_DATA_DIR: dataDir };
  delete shellEnv.PORT;
  delete shellEnv.ORCH_GATEWAY_URL;
  const run = spawnSync('npx', ['orch', 'run', 'diamond', '--input', '{"value":1}', '--wait'], { cwd: ROOT, env: shellEnv, encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /SUCCEEDED/);
});
