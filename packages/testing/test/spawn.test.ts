import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnRole } from '../src/index.js';

void test('spawnRole captures output and stops the process at cleanup', async (t) => {
  let cleanup: (() => unknown) | undefined;
  const role = spawnRole({ after: (fn) => { cleanup = fn; } }, {
    name: 'sleeper',
    args: ['-e', 'console.log("ready on 42"); console.error("warn"); setInterval(() => {}, 1000)'],
    killTimeoutMs: 2000,
  });
  const match = await role.waitForOutput(/ready on (\d+)/, 10_000);
  assert.equal(match[1], '42');
  await role.waitForOutput(/warn/, 5000);
  assert.ok(cleanup, 'cleanup registered');
  await cleanup();
  assert.equal(await role.exited(), 'SIGTERM');
  t.diagnostic(`stopped pid ${role.pid}`);
});

void test('waitForOutput fails with the output tail', async (t) => {
  const role = spawnRole(t, { name: 'quiet', args: ['-e', 'console.log("hello"); setTimeout(() => {}, 5000)'] });
  await role.waitForOutput(/hello/, 10_000);
  await assert.rejects(role.waitForOutput(/never/, 300), /quiet to print[\s\S]*hello/);
});
