/** A role on a thread of its own: started, asked, closed, failed to start, crashed. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { startRoleThread } from '../src/role-thread.js';
import type { RoleThreadOptions } from '../src/role-thread.js';
import { SEMI_SPACE_MB } from '../src/young-generation.js';
import { waitUntil } from './kafka/broker.js';
import type { FixtureData } from './role-thread.fixture.js';

const script = new URL('./role-thread.fixture.js', import.meta.url);
const setupModule = new URL('./role-thread.setup.fixture.js', import.meta.url).href;

function closedFile(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'orch-role-thread-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'closed');
}

const start = (data: FixtureData, options: Partial<RoleThreadOptions> = {}) => startRoleThread<{ name: string }>({ role: 'fixture', script, workerData: data, ...options });

test('a role thread says what it started with, answers its own requests, and closes before it ends', async (t) => {
  const file = closedFile(t);
  const messages: unknown[] = [];
  let released = false;
  const thread = await start(
    { outcome: 'start', closedFile: file, setup: { module: setupModule, data: { name: 'named by its setup' } } },
    { onMessage: (m) => messages.push(m), release: async () => void (released = true) },
  );
  assert.deepEqual(thread.started, { name: 'named by its setup' });
  thread.post('ping');
  await waitUntil(() => messages.length > 0, 5000, 'the answer to ping');
  assert.deepEqual(messages, [{ pong: true }]);
  await thread.close();
  assert.equal(readFileSync(file, 'utf8'), 'closed');
  assert.equal(released, true);
  await thread.close(); // a second close waits for the same one
});

test("a role thread runs with the project's young generation, not V8's default", async (t) => {
  const messages: unknown[] = [];
  const thread = await start({ outcome: 'start', closedFile: closedFile(t) }, { onMessage: (m) => messages.push(m) });
  thread.post('limits');
  await waitUntil(() => messages.length > 0, 5000, 'the thread\'s limits');
  const [answer] = messages as { limits: { maxYoungGenerationSizeMb: number } }[];
  assert.equal(answer?.limits.maxYoungGenerationSizeMb, 3 * SEMI_SPACE_MB);
  await thread.close();
});

test('a role thread that cannot start releases what it opened, then the parent rejects with the reason', async (t) => {
  const file = closedFile(t);
  let released = false;
  await assert.rejects(
    start({ outcome: 'fail', closedFile: file }, { release: async () => void (released = true) }),
    /^Error: The fixture's thread could not start: no broker answered$/,
  );
  assert.equal(readFileSync(file, 'utf8'), 'released');
  assert.equal(released, true);
});

test("a setup module without the thread's function is named in the error", async (t) => {
  await assert.rejects(
    start({ outcome: 'start', closedFile: closedFile(t), setup: { module: 'node:path' } }),
    /the thread's setup module node:path exports no function setupFixtureThread/,
  );
});

test('a role thread that stops on its own is reported, once, and not after a close', async (t) => {
  const file = closedFile(t);
  const failures: Error[] = [];
  const thread = await start({ outcome: 'start', closedFile: file }, { onFailure: (error) => failures.push(error) });
  thread.post('crash');
  await waitUntil(() => failures.length > 0, 5000, 'the crash to be reported');
  assert.match(failures[0]?.message ?? '', /the role crashed/);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(failures.length, 1, 'the crash and the exit that follows it are one failure');
  assert.equal(existsSync(file), false, 'a crash is not a close');

  const calm = await start({ outcome: 'start', closedFile: closedFile(t) }, { onFailure: (error) => failures.push(error) });
  const before = failures.length;
  await calm.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(failures.length, before, 'a close is not a failure');
});
