import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { topicNames } from '@orchestrator-lite/core';
import type { RunEvent, WorkflowDefinition } from '@orchestrator-lite/core';
import { PayloadStore } from '@orchestrator-lite/transport';
import type { ConsumedRecord } from '@orchestrator-lite/transport';
import { RunWatcher, startOrchestrator } from '../src/index.js';
import type { RunWatcherOptions } from '../src/index.js';
import { embeddedBus, inputs, observe, until } from './harness.js';

const names = topicNames('w.');
const one: WorkflowDefinition = { name: 'one', steps: [{ id: 'a', task: 't', retry: { maxAttempts: 1 } }] };

/** An orchestrator and a watcher of its runs; `everyEvent`: the watcher hands on every event (else it reads only the ends). */
async function engine(t: TestContext, options: Partial<RunWatcherOptions> = {}, everyEvent = true) {
  const transport = embeddedBus(t);
  const orchestrator = await startOrchestrator({ transport, topicPrefix: 'w.', partitions: 2 });
  t.after(() => orchestrator.close());
  const seen = await observe(t, transport, names, 2);
  const events: RunEvent[] = [];
  const watcher = await RunWatcher.open({ transport, topicPrefix: 'w.', ...(everyEvent ? { onEvent: (e: RunEvent) => events.push(e) } : {}), ...options });
  t.after(() => watcher.close());
  return { transport, watcher, events, tasks: seen.tasks, send: inputs(transport, names) };
}

test('a watcher tells how each run ended, from the bus, and hands on every event in its run’s order', async (t) => {
  const { watcher, events, tasks, send } = await engine(t);
  const ends = Promise.all(['ok', 'bad', 'gone'].map((runId) => watcher.ended(runId)));
  for (const runId of ['ok', 'bad', 'gone']) await send.start(runId, one, { who: runId });
  await until(() => tasks.length === 3, 'the three tasks');
  await send.complete('ok', 'a', { hello: 'ada' });
  await send.fail('bad', 'a', { type: 'Boom', message: 'it broke' });
  await send.cancel('gone', 'not needed');
  const [ok, bad, gone] = await ends;
  assert.deepEqual(ok, { runId: 'ok', at: ok!.at, status: 'SUCCEEDED', output: { a: { hello: 'ada' } } });
  assert.equal(bad!.status, 'FAILED');
  assert.ok(bad!.status === 'FAILED' && bad!.error.message.includes('it broke') && bad!.failedSteps.includes('a'));
  assert.deepEqual(gone, { runId: 'gone', at: gone!.at, status: 'CANCELLED', reason: 'not needed' });
  for (const runId of ['ok', 'bad', 'gone']) {
    const seqs = events.filter((e) => e.runId === runId).map((e) => e.seq);
    assert.equal(seqs[0], 1, `${runId}: from its first event`);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), `${runId}: in order`);
  }
});

test('an end asked for after it was read comes from the ends kept; one no longer kept waits, until its signal gives up', async (t) => {
  const { watcher, tasks, send } = await engine(t, { keptEnds: 1 });
  for (const runId of ['first', 'second']) {
    await send.start(runId, one);
    await until(() => tasks.some((task) => task.runId === runId), `${runId}’s task`);
    await send.complete(runId, 'a', { n: runId });
    await watcher.ended(runId);
  }
  assert.equal((await watcher.ended('second')).status, 'SUCCEEDED');
  const signal = AbortSignal.timeout(200);
  await assert.rejects(watcher.ended('first', { signal }), (error: Error) => error.name === 'TimeoutError');
});

test('a claim-checked output comes back whole; a record that does not decode is skipped and told, and reading goes on', async (t) => {
  const undecodable: [Error, ConsumedRecord][] = [];
  // Reading only the ends: an end that does not decode is told all the same.
  const { transport, watcher, tasks, send } = await engine(t, { onUndecodable: (error, record) => undecodable.push([error, record]) }, false);
  const big = { text: 'x'.repeat(2_000) };
  const claim = await new PayloadStore(transport, { topic: names.payloads, inlineBytes: 100 }).claim(big, 'big');
  await send.start('big', one);
  await until(() => tasks.length === 1, 'the task');
  // On the run's partition, ahead of its end (the tests' own listener stops at it: it is the last thing it reads).
  await transport.produce([{ topic: names.events, key: 'big', value: Buffer.from('{"runId":"big","seq":"one","type":"RunSucceeded"}') }]);
  await send.complete('big', 'a', claim);
  const end = await watcher.ended('big');
  assert.deepEqual(end.status === 'SUCCEEDED' && end.output, { a: big });
  assert.equal(undecodable.length, 1);
  assert.match(undecodable[0]![0].message, /^run event: seq: /);
  assert.equal(undecodable[0]![1].key, 'big');
});

test('closing the watcher ends the waits for runs that have not ended', async (t) => {
  const { watcher } = await engine(t);
  const waiting = watcher.ended('never');
  await watcher.close();
  await assert.rejects(waiting, /The run watcher closed/);
  await assert.rejects(watcher.ended('later'), /The run watcher closed/);
});
