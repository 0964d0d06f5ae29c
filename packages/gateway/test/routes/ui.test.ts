import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, startTestGateway } from '../helpers.js';

async function uiBuild(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'orch-ui-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>orchestrator-lite</title><div id="root"></div>');
  await writeFile(join(dir, 'assets', 'app-1a2b3c.js'), 'console.log("app");');
  return dir;
}

void test('uiDir: index.html at /, files as they are, SPA fallback for client routes, real 404 under /assets and /api', async (t) => {
  const uiDir = await uiBuild(t);
  const { url } = await startTestGateway(t, { uiDir });
  const root = await http(url, 'GET', '/');
  assert.equal(root.status, 200);
  assert.match(String(root.body), /orchestrator-lite/);
  assert.match(root.headers.get('content-type') ?? '', /text\/html/);

  const asset = await http(url, 'GET', '/assets/app-1a2b3c.js');
  assert.equal(asset.status, 200);
  assert.match(String(asset.body), /console\.log/);

  for (const path of ['/runs', '/runs/abc/dag', '/workflows/orders?tab=1']) {
    const res = await http(url, 'GET', path);
    assert.equal(res.status, 200, path);
    assert.match(String(res.body), /<div id="root">/, path);
  }

  const missingAsset = await http(url, 'GET', '/assets/missing-123.js');
  assert.equal(missingAsset.status, 404);
  assert.equal((missingAsset.body as { error: { code: string } }).error.code, 'ORCH_NOT_FOUND');
  const missingApi = await http(url, 'GET', '/api/v1/nothing');
  assert.equal(missingApi.status, 404);
  assert.equal((missingApi.body as { error: { code: string } }).error.code, 'ORCH_NOT_FOUND');
  // Non-GET methods never fall back to the SPA.
  assert.equal((await http(url, 'POST', '/runs', {})).status, 404);
  // The API still answers under the UI.
  assert.equal((await http(url, 'GET', '/api/v1/workflows')).status, 200);
});

void test('without uiDir (or with a missing one) / is a 404 with the error shape', async (t) => {
  const { url } = await startTestGateway(t, { uiDir: join(tmpdir(), 'orch-ui-does-not-exist') });
  const res = await http(url, 'GET', '/');
  assert.equal(res.status, 404);
  assert.equal((res.body as { error: { code: string } }).error.code, 'ORCH_NOT_FOUND');
});
