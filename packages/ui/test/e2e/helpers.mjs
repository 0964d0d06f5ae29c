/**
 * Shared helpers of the browser end-to-end tests: the real engine (`orch start`, embedded mode)
 * as a child process, and Debian's Chromium driven by playwright-core. Never a downloaded browser.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const UI_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const REPO = resolve(UI_DIR, '../..');
export const CLI = join(REPO, 'packages/cli/dist/src/bin.js');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Why the suite cannot run here, or undefined when it can. */
export function missingPrerequisite() {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium)`;
  if (!existsSync(CLI)) return `${CLI} is missing (npm run build)`;
  if (!existsSync(join(UI_DIR, 'dist/index.html'))) return 'packages/ui/dist is missing (npm run build -w packages/ui)';
  return undefined;
}

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

export function tempDir(t, prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Polls `url` until it answers 2xx; bounded by `timeoutMs`. */
export async function waitForHttp(url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = new Error(`${url} answered ${res.status}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms: ${last?.message ?? 'no answer'}`);
}

/**
 * Starts the whole engine in one process on 127.0.0.1 with its own data directory. `restart()`
 * stops it and starts it again on the same port and data, as an operator restart would.
 */
export async function startEngine(t, { port, dataDir, env = {} } = {}) {
  const p = port ?? (await freePort());
  const dir = dataDir ?? tempDir(t, 'ol-ui-e2e-');
  const url = `http://127.0.0.1:${p}`;
  let child;
  let log = '';
  const launch = async () => {
    child = spawn(process.execPath, [CLI, 'start', '--port', String(p), '--host', '127.0.0.1', '--data-dir', dir], {
      cwd: REPO,
      // Embedded mode: a KAFKA_BROKERS inherited from the test runner would share the default topics.
      env: { ...process.env, KAFKA_BROKERS: '', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', PORT: String(p), ORCH_DATA_DIR: dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (log = (log + d).slice(-20_000)));
    child.stderr.on('data', (d) => (log = (log + d).slice(-20_000)));
    try {
      await waitForHttp(`${url}/healthz`, 45_000);
    } catch (err) {
      throw new Error(`${err.message}\n--- engine log ---\n${log}`);
    }
  };
  const stop = async () => {
    const c = child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  t.after(stop);
  await launch();
  return {
    url,
    port: p,
    dataDir: dir,
    log: () => log,
    stop,
    async restart() {
      await stop();
      await launch();
    },
  };
}

export async function api(base, path, init = {}) {
  const res = await fetch(`${base}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const text = await res.text();
  const body = text === '' ? undefined : JSON.parse(text);
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} -> ${res.status} ${text}`);
  return body;
}

/** Waits for the workflows the engine registers at start. */
export async function waitForWorkflow(base, name, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { items } = await api(base, '/api/v1/workflows');
    if (items.some((w) => w.name === name)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`workflow ${name} was not registered within ${timeoutMs} ms`);
}

/** Debian's Chromium with a fresh profile; closed after the test. */
export async function launchBrowser(t, viewport = { width: 1440, height: 900 }) {
  const profile = mkdtempSync(join(tmpdir(), 'ol-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  t.after(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  context.setDefaultTimeout(20_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (err) => errors.push(err));
  return { context, page, errors };
}
