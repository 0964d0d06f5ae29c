/** The demo workflows of the language run as their descriptions say, with the demo tasks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDefinition, TERMINAL_RUN_STATUSES } from '@orchestrator-lite/core';
import type { RunView } from '@orchestrator-lite/core';
import { demoTasks, demoWorkflows } from '../../src/index.js';
import { languageDemoWorkflows } from '../../src/demo/language-workflows.js';
import { startEngine } from '../language-engine.js';

/** A run has ended (a run just submitted is PENDING before it is RUNNING, so "not RUNNING" is not enough). */
const ended = (r: RunView): boolean => TERMINAL_RUN_STATUSES.has(r.status);

void test('every demo workflow is valid', () => {
  for (const def of demoWorkflows) parseDefinition(def);
  assert.ok(languageDemoWorkflows.every((d) => demoWorkflows.includes(d)));
});

void test('the approval demo waits for its signal and takes the branch the payload picks', { timeout: 60_000 }, async (t) => {
  const e = await startEngine(t, {}, demoTasks);
  for (const def of languageDemoWorkflows) await e.register(def);
  const yes = await e.start('approval', { request: 'laptop', amount: 900 });
  const no = await e.start('approval', { request: 'yacht', amount: 9e6 });
  for (const id of [yes, no]) await e.until(id, 'the approval waits', (r) => r.steps.approve?.status === 'RUNNING');
  assert.equal((await e.call('POST', `/api/v1/runs/${yes}/signals/approval`, { payload: { approved: true } })).status, 202);
  assert.equal((await e.call('POST', `/api/v1/runs/${no}/signals/approval`, {})).status, 202);
  const approved = await e.until(yes, 'the run ends', ended);
  assert.equal(approved.status, 'SUCCEEDED');
  assert.deepEqual([approved.steps.approved?.status, approved.steps.rejected?.status], ['SUCCEEDED', 'SKIPPED']);
  const rejected = await e.until(no, 'the run ends', ended);
  assert.deepEqual([rejected.steps.approved?.status, rejected.steps.rejected?.status], ['SKIPPED', 'SUCCEEDED']);
});

void test('the order demo switches, picks each line, sleeps and bills through its child', { timeout: 90_000 }, async (t) => {
  const e = await startEngine(t, {}, demoTasks);
  for (const def of languageDemoWorkflows) await e.register(def);
  const runId = await e.start('order', { id: 'o-1', amount: 40, lines: [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }] });
  const done = await e.until(runId, 'the order ends', ended);
  assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
  assert.deepEqual([done.steps.express?.status, done.steps.standard?.status], ['SKIPPED', 'SUCCEEDED']);
  assert.equal(done.steps.pick?.items?.length, 3);
  const child = await e.run(done.steps.invoice?.childRunId ?? '');
  assert.equal(child.parentRunId, runId);
  assert.deepEqual((done.output as { invoice: unknown }).invoice, { order: 'o-1', lines: [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }] });
});
