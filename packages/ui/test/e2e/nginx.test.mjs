/**
 * nginx delivery: Debian's nginx runs the config rendered from deploy/nginx/default.conf.template
 * (as a foreground child on a 127.0.0.1 port) in front of the built UI and a running engine. It
 * checks the caching, gzip, CORS and fallback rules and a WebSocket upgrade through the proxy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import WebSocket from 'ws';
import { api, freePort, missingPrerequisite, REPO, startEngine, tempDir, UI_DIR, waitForHttp, waitForWorkflow } from './helpers.mjs';
import { renderNginxConf } from '../../../../deploy/nginx/render.mjs';

const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
const skip = missingPrerequisite() ?? (existsSync(NGINX) ? undefined : `${NGINX} is missing (apt-get install nginx)`);
const ALLOWED = 'https://portal.example.com';

/** A raw GET (no automatic decompression), so Content-Encoding can be checked. */
function get(url, headers = {}) {
  return new Promise((res, rej) => {
    const req = request(url, { headers }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', rej);
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.end();
  });
}

async function startNginx(t, gatewayPort) {
  const prefix = tempDir(t, 'ol-nginx-');
  mkdirSync(join(prefix, 'tmp'), { recursive: true });
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    renderNginxConf({
      ORCH_GATEWAY_UPSTREAM: `127.0.0.1:${gatewayPort}`,
      ORCH_CORS_ORIGINS: 'https://portal\\.example\\.com|https://admin\\.example\\.com',
      ORCH_UI_LISTEN: `127.0.0.1:${port}`,
      ORCH_UI_ROOT: join(UI_DIR, 'dist'),
    }),
  );
  const child = spawn(NGINX, ['-c', conf, '-p', `${prefix}/`], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  t.after(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/index.html`, 15_000);
  } catch (err) {
    throw new Error(`${err.message}\n--- nginx ---\n${log}`);
  }
  return url;
}

test('nginx serves the UI with the cache, gzip, CORS and fallback rules, and proxies the API and its WebSocket', { skip, timeout: 120_000 }, async (t) => {
  const engine = await startEngine(t);
  await waitForWorkflow(engine.url, 'diamond');
  const url = await startNginx(t, engine.port);

  const index = await get(`${url}/`);
  assert.equal(index.status, 200);
  assert.equal(index.headers['cache-control'], 'no-cache');
  assert.match(index.body.toString(), /<div id="root">/);

  const remote = await get(`${url}/remoteEntry.js`, { origin: ALLOWED, 'accept-encoding': 'gzip' });
  assert.equal(remote.status, 200);
  assert.equal(remote.headers['cache-control'], 'no-cache');
  assert.equal(remote.headers['access-control-allow-origin'], ALLOWED);
  assert.match(String(remote.headers.vary), /Origin/);
  assert.equal(remote.headers['content-encoding'], 'gzip');

  const denied = await get(`${url}/remoteEntry.js`, { origin: 'https://evil.example.net' });
  assert.equal(denied.status, 200);
  assert.equal(denied.headers['access-control-allow-origin'], undefined, 'an origin off the list gets no CORS header');
  assert.match(String(denied.headers.vary), /Origin/);

  const assets = readdirSync(join(UI_DIR, 'dist/assets'));
  // The largest of each: tiny chunks stay under gzip_min_length and are rightly sent as they are.
  const largest = (suffix) => assets.filter((f) => f.endsWith(suffix)).sort((a, b) => statSync(join(UI_DIR, 'dist/assets', b)).size - statSync(join(UI_DIR, 'dist/assets', a)).size)[0];
  const js = largest('.js');
  const css = largest('.css');
  for (const file of [js, css]) {
    assert.ok(file, 'the build has hashed JS and CSS');
    const r = await get(`${url}/assets/${file}`, { origin: ALLOWED, 'accept-encoding': 'gzip' });
    assert.equal(r.status, 200, file);
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable', file);
    assert.equal(r.headers['access-control-allow-origin'], ALLOWED, file);
    assert.match(String(r.headers.vary), /Origin/, file);
    assert.equal(r.headers['content-encoding'], 'gzip', file);
  }

  const fallback = await get(`${url}/runs/some/client/route`);
  assert.equal(fallback.status, 200, 'an unknown route falls back to the SPA');
  assert.equal(fallback.headers['cache-control'], 'no-cache');
  assert.match(fallback.body.toString(), /<div id="root">/);
  const missing = await get(`${url}/assets/no-such-chunk-abc123.js`);
  assert.equal(missing.status, 404, 'a missing asset is a 404, never the SPA');

  const workflows = await get(`${url}/api/v1/workflows`);
  assert.equal(workflows.status, 200);
  assert.ok(JSON.parse(workflows.body.toString()).items.some((w) => w.name === 'diamond'));
  const notFound = await get(`${url}/api/v1/runs/no-such-run`);
  assert.equal(notFound.status, 404, 'API errors pass through, not the SPA');

  // The live stream through the proxy: upgrade, then frames of a run started meanwhile.
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(url).port}/api/v1/stream`);
  t.after(() => ws.terminate());
  const frames = [];
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
    ws.once('unexpected-response', (_req, r) => rej(new Error(`upgrade refused: ${r.statusCode}`)));
  });
  ws.on('message', (m) => frames.push(JSON.parse(String(m))));
  const { runId } = await api(url, '/api/v1/runs', { method: 'POST', body: JSON.stringify({ workflow: 'diamond', input: {} }) });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !frames.some((f) => f.runId === runId && f.type === 'RunSucceeded')) await new Promise((r) => setTimeout(r, 100));
  const mine = frames.filter((f) => f.runId === runId);
  assert.ok(mine.some((f) => f.type === 'RunStarted'), 'RunStarted came through the proxy');
  assert.ok(mine.some((f) => f.type === 'RunSucceeded'), 'RunSucceeded came through the proxy');
  assert.deepEqual(mine.map((f) => f.seq), Array.from({ length: mine.length }, (_, i) => i + 1), 'in order, no gap');
  assert.ok(mine.every((f) => typeof f.cursor === 'string'), 'all-runs frames carry a cursor');
});
