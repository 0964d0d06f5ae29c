/**
 * Two gateways behind the project's nginx config, on a real broker: the writes through nginx land
 * on either gateway, and both serve the same reads and the same live stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureKafka, kafkaSkip, randomPrefix, repoRoot, waitFor, waitForHttp } from '@orchestrator-lite/testing';
import type { CleanupContext } from '@orchestrator-lite/testing';
import { createCluster, fanOutWorkflow } from './cluster-harness.js';
import { freePort, json, post, put } from './helpers.js';
import type { RunBody } from './helpers.js';

const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

async function startNginx(t: CleanupContext, upstreams: string[]): Promise<string> {
  const { renderNginxConf } = (await import(pathToFileURL(join(repoRoot, 'deploy/nginx/render.mjs')).href)) as { renderNginxConf(vars: Record<string, string>): string };
  const prefix = mkdtempSync(join(tmpdir(), 'orch-nginx-'));
  mkdirSync(join(prefix, 'tmp'), { recursive: true });
  mkdirSync(join(prefix, 'ui'), { recursive: true });
  writeFileSync(join(prefix, 'ui', 'index.html'), '<!doctype html><title>ui</title>');
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, renderNginxConf({ ORCH_GATEWAY_UPSTREAM: upstreams.join(','), ORCH_UI_LISTEN: `127.0.0.1:${port}`, ORCH_UI_ROOT: join(prefix, 'ui') }));
  const child = spawn(NGINX, ['-c', conf, '-p', `${prefix}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  t.after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(prefix, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, 15_000).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n--- nginx ---\n${log}`, { cause: error });
  });
  return url;
}

/** The seqs and types of a run's stream, from `since=0` until the terminal event. */
function streamOf(base: string, runId: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/stream?runId=${runId}&since=0`);
    const frames: string[] = [];
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`stream of ${runId} via ${base}: no terminal event in 30 s (${frames.join(' ')})`));
    }, 30_000);
    ws.onmessage = (message) => {
      const frame = JSON.parse(String(message.data)) as { seq?: number; type?: string };
      if (frame.seq === undefined) return;
      frames.push(`${frame.seq}:${frame.type}`);
      if (frame.type === 'RunSucceeded' || frame.type === 'RunFailed' || frame.type === 'RunCancelled') {
        clearTimeout(timer);
        ws.close();
        resolve(frames);
      }
    };
    ws.onerror = () => reject(new Error(`stream of ${runId} via ${base} failed`));
  });
}

void test('two gateways behind nginx serve the same reads, streams and writes', { skip: kafkaSkip() ?? (existsSync(NGINX) ? undefined : `${NGINX} is missing (apt-get install nginx)`), timeout: 180_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const cluster = createCluster(t, { brokers, prefix: randomPrefix('ng'), partitions: 3 });
  await Promise.all([cluster.startOrchestrator(), cluster.startWorker()]);
  await cluster.startGateway();
  const a = cluster.url;
  await cluster.startGateway();
  const b = cluster.url;
  const nginx = await startNginx(t, [a, b].map((u) => u.replace('http://', '')));

  // Writes through nginx land on both gateways in turn; versions stay distinct.
  const bodies = Array.from({ length: 6 }, (_, i) => ({ ...fanOutWorkflow, description: `variant ${i}` }));
  const registered = await Promise.all(bodies.map((body) => put(`${nginx}/api/v1/workflows/fan`, body)));
  assert.deepEqual(registered.map((r) => r.status), bodies.map(() => 201));
  assert.deepEqual(registered.map((r) => Number(r.body.version)).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6]);

  const runIds: string[] = [];
  for (let i = 0; i < 6; i++) {
    const started = await post(`${nginx}/api/v1/runs`, { workflow: 'fan', input: { n: i } });
    assert.equal(started.status, 202);
    runIds.push(String(started.body.runId));
  }
  // The same reads from either gateway and through nginx.
  for (const runId of runIds) {
    const views = await Promise.all([a, b, nginx].map((base) =>
      waitFor(async () => {
        const { status, body } = await json<RunBody>(`${base}/api/v1/runs/${runId}`);
        return status === 200 && body.status === 'SUCCEEDED' ? body : undefined;
      }, { timeoutMs: 60_000, description: `${runId} SUCCEEDED via ${base}` })));
    const [first, ...rest] = views.map((v) => JSON.stringify({ status: v.status, output: v.output, steps: Object.keys(v.steps).sort() }));
    for (const other of rest) assert.equal(other, first, `${runId}: the gateways agree`);
  }
  // The same stream from either gateway and through nginx (WebSocket upgrade through the proxy).
  const streams = await Promise.all([a, b, nginx].map((base) => streamOf(base, runIds[0]!)));
  assert.ok(streams[0]!.length > 3, `a full history: ${streams[0]!.join(' ')}`);
  assert.deepEqual(streams[1], streams[0]);
  assert.deepEqual(streams[2], streams[0]);
  const list = await Promise.all([a, b].map((base) => json<{ items: { version: number }[] }>(`${base}/api/v1/workflows`)));
  assert.deepEqual(list[0]!.body, list[1]!.body, 'the same registry on both');
});
