/**
 * The run-detail stream of the store: snapshot first, then frames in seq order; duplicates are
 * dropped, a gap is repaired from `/events?since=`, and a dropped socket reconnects with
 * `since=<last seq>`. The gateway side is a scripted stand-in for the browser WebSocket and the
 * REST client, so each frame order can be forced; the browser e2e tests cover the real gateway.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTs } from './load-ts.mjs';

class ScriptedSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.closed = false;
    ScriptedSocket.all.push(this);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.();
  }
  send(frame) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop(code = 1006, reason = '') {
    this.onclose?.({ code, reason });
  }
}

function installBrowserGlobals(t) {
  const saved = { window: globalThis.window, WebSocket: globalThis.WebSocket };
  globalThis.window = { addEventListener() {}, removeEventListener() {}, location: { origin: 'http://127.0.0.1:1' } };
  globalThis.WebSocket = ScriptedSocket;
  ScriptedSocket.all = [];
  t.after(() => Object.assign(globalThis, saved));
}

async function until(cond, what, ms = 3000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The store's modules, the store first. */
const STORE_FILES = ['store/store.ts', 'store/run-feed.ts', 'store/run-reducer.ts', 'store/run-list.ts', 'store/run-ends.ts', 'store/coalesce.ts', 'api/client.ts', 'api/live-socket.ts', 'api/backoff.ts'];

/** A store whose all-runs feed is open and whose snapshot is `listRuns`'s answer; returns it and the feed's socket. */
async function openFeed(t, listRuns) {
  installBrowserGlobals(t);
  const { OrchestratorStore } = await loadTs(t, STORE_FILES);
  const store = new OrchestratorStore('http://127.0.0.1:1', { listRuns, listWorkflows: async () => ({ items: [] }) });
  store.start();
  await until(() => ScriptedSocket.all.length === 1, 'the feed socket');
  const ws = ScriptedSocket.all[0];
  ws.open();
  await until(() => store.getState().runsLoaded, 'the snapshot');
  return { store, ws };
}

const RUN = 'run-1';
const definition = { name: 'w', steps: [{ id: 'a', task: 'demo.echo' }] };
const event = (seq) =>
  seq === 1
    ? { runId: RUN, seq, type: 'RunStarted', at: seq, data: { workflow: 'w', version: 1, input: null, definition } }
    : { runId: RUN, seq, type: 'StepLog', at: seq, data: { stepId: 'a', attempt: 1, level: 'info', message: `line ${seq}` } };

test('run stream: drops duplicates, repairs a gap from /events, resumes with since after a drop', async (t) => {
  installBrowserGlobals(t);
  const { OrchestratorStore } = await loadTs(t, STORE_FILES);
  let serverLast = 2;
  const calls = [];
  const fakeApi = {
    async getRun() {
      return { runId: RUN, workflow: 'w', version: 1, status: 'RUNNING', input: null, createdAt: 1, updatedAt: 2, lastSeq: 2, definition, steps: { a: { status: 'PENDING', task: 'demo.echo', dependsOn: [], attempts: [] } } };
    },
    async getEvents(runId, since) {
      calls.push(since);
      return { items: Array.from({ length: Math.max(0, serverLast - since) }, (_, i) => event(since + i + 1)) };
    },
  };
  const store = new OrchestratorStore('http://127.0.0.1:1', fakeApi);
  const unwatch = store.watchRun(RUN);
  t.after(unwatch);
  await until(() => ScriptedSocket.all.length === 1, 'the run socket');
  const ws = ScriptedSocket.all[0];
  assert.match(ws.url, /runId=run-1/);
  assert.match(ws.url, /since=2/, 'the stream resumes after the snapshot');
  ws.open();
  assert.equal(store.getState().details[RUN].connection, 'live');

  serverLast = 6;
  ws.send(event(3));
  ws.send(event(3)); // a duplicate
  ws.send(event(5)); // 4 is missing: a gap
  await until(() => store.getState().details[RUN].lastSeq === 6, 'the gap repair');
  assert.deepEqual(calls, [0, 3], 'the snapshot, then one repair since 3');
  ws.send(event(6)); // already fetched by the repair
  serverLast = 7;
  ws.send(event(7));
  const seqs = () => store.getState().details[RUN].events.map((e) => e.seq);
  await until(() => store.getState().details[RUN].lastSeq === 7, 'the live frames applied');
  assert.deepEqual(seqs(), [1, 2, 3, 4, 5, 6, 7]);

  ws.drop();
  assert.notEqual(store.getState().details[RUN].connection, 'live');
  await until(() => ScriptedSocket.all.length === 2, 'the reconnect');
  const ws2 = ScriptedSocket.all[1];
  assert.match(ws2.url, /since=7/, 'the reconnect resumes after the last applied seq');
  ws2.open();
  ws2.send(event(7)); // the gateway may resend the boundary: still no double
  serverLast = 8;
  ws2.send(event(8));
  await until(() => store.getState().details[RUN].lastSeq === 8, 'the frames after the reconnect applied');
  assert.deepEqual(seqs(), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(store.getState().details[RUN].view.lastSeq, 8);

  // A burst of a busy run's frames: applied in one or two updates, not one each.
  let updates = 0;
  const unsubscribe = store.subscribe(() => (updates += 1));
  serverLast = 1008;
  for (let seq = 9; seq <= 1008; seq++) ws2.send(event(seq));
  assert.equal(updates, 0, 'frames wait for the next hand-over');
  await until(() => store.getState().details[RUN].lastSeq === 1008, 'the burst applied');
  assert.ok(updates <= 2, `${updates} state updates for 1,000 frames`);
  assert.equal(store.getState().details[RUN].events.length, 1008);
  unsubscribe();
  unwatch();
  assert.equal(ws2.closed, true, 'unwatching closes the socket');
});

test('an optimistic start shows a pending row, then the run; a rejected one is rolled back with the message', async (t) => {
  installBrowserGlobals(t);
  const { OrchestratorStore } = await loadTs(t, STORE_FILES);
  const { ApiError } = await loadTs(t, ['api/client.ts']);
  let answer;
  const fakeApi = {
    startRun: (body) => new Promise((res, rej) => (answer = { res, rej, body })),
  };
  const store = new OrchestratorStore('http://127.0.0.1:1', fakeApi);
  const ok = store.trigger('diamond', { x: 1 });
  assert.equal(store.getState().pending.length, 1, 'a pending row at once');
  assert.deepEqual(answer.body, { workflow: 'diamond', input: { x: 1 } });
  answer.res({ runId: 'r-9', status: 'PENDING' });
  assert.deepEqual(await ok, { ok: true, runId: 'r-9' });
  assert.equal(store.getState().pending.length, 0);
  assert.equal(store.getState().runs['r-9'].status, 'PENDING');

  const bad = store.trigger('nope', undefined);
  assert.equal(store.getState().pending.length, 1);
  answer.rej(new ApiError(404, 'ORCH_NOT_FOUND', 'workflow nope is not registered'));
  const res = await bad;
  assert.equal(res.ok, false);
  assert.equal(res.error, 'workflow nope is not registered');
  assert.equal(store.getState().pending.length, 0, 'rolled back');
  assert.equal(store.getState().runs.nope, undefined);
  assert.match(store.getState().notices.at(-1).message, /workflow nope is not registered/);
  for (const n of store.getState().notices) store.dismiss(n.id);
});

test('all-runs feed: snapshot on first open, resume with the cursor, start over when the cursor is refused', async (t) => {
  installBrowserGlobals(t);
  const { OrchestratorStore } = await loadTs(t, STORE_FILES);
  let listCalls = 0;
  const fakeApi = {
    async listRuns() {
      listCalls += 1;
      return { items: [{ runId: 'old', workflow: 'w', version: 1, status: 'SUCCEEDED', createdAt: 1, updatedAt: 2 }], nextCursor: null };
    },
    async listWorkflows() {
      return { items: [] };
    },
  };
  const store = new OrchestratorStore('http://127.0.0.1:1', fakeApi);
  store.start();
  await until(() => ScriptedSocket.all.length === 1, 'the feed socket');
  const ws = ScriptedSocket.all[0];
  assert.doesNotMatch(ws.url, /cursor=/, 'no cursor yet: live from now');
  assert.equal(new URL(ws.url).searchParams.get('types'), 'RunStarted,RunQueued,RunAdmitted,RunSucceeded,RunFailed,RunCancelled,RunRetried', 'only the events a row changes with');
  // A frame that arrives before the snapshot is held, then applied on top of it.
  ws.open();
  ws.send({ ...event(1), runId: 'new', cursor: 'c1' });
  await until(() => store.getState().runsLoaded, 'the snapshot');
  assert.equal(listCalls, 1);
  assert.deepEqual(Object.keys(store.getState().runs).sort(), ['new', 'old']);
  assert.equal(store.getState().runs.new.status, 'RUNNING');

  ws.drop();
  await until(() => ScriptedSocket.all.length === 2, 'the reconnect');
  assert.match(ScriptedSocket.all[1].url, /cursor=c1/, 'resumes after the last frame');
  ScriptedSocket.all[1].open();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(listCalls, 1, 'a resume needs no new snapshot');
  ScriptedSocket.all[1].send({ runId: 'new', seq: 2, type: 'RunSucceeded', at: 10, data: { output: 1 }, cursor: 'c2' });
  await until(() => store.getState().runs.new.status === 'SUCCEEDED', 'the live frame applied');

  ScriptedSocket.all[1].drop(1008, 'cursor: is not a stream cursor this gateway issued');
  await until(() => ScriptedSocket.all.length === 3, 'the reconnect after a refused cursor');
  assert.doesNotMatch(ScriptedSocket.all[2].url, /cursor=/, 'the refused cursor is dropped');
  ScriptedSocket.all[2].open();
  await until(() => listCalls === 2, 'a fresh snapshot');
  store.stop();
  assert.equal(ScriptedSocket.all[2].closed, true);
});

test('all-runs feed: a burst of frames is applied in a few updates, and the list keeps only the newest runs', async (t) => {
  const { store, ws } = await openFeed(t, async () => ({ items: [], nextCursor: null }));
  let updates = 0;
  store.subscribe(() => (updates += 1));
  const burst = 6000;
  for (let i = 0; i < burst; i++) ws.send({ runId: `r${i}`, seq: 1, type: 'RunStarted', at: 1000 + i, data: { workflow: 'w', version: 1 }, cursor: `c${i}` });
  assert.equal(updates, 0, 'frames wait for the next hand-over');
  await until(() => store.getState().runs[`r${burst - 1}`] !== undefined, 'the burst applied');
  assert.ok(updates <= 2, `${updates} state updates for ${burst} frames`);
  const kept = Object.keys(store.getState().runs);
  assert.ok(kept.length <= 2500, `${kept.length} runs kept`);
  assert.ok(kept.includes(`r${burst - 1}`) && !kept.includes('r0'), 'the newest runs are kept, the oldest dropped');
  // How many there are comes from the gateway's counts frames, which the feed asks for.
  assert.equal(new URL(ws.url).searchParams.get('counts'), 'true');
  ws.send({ type: 'counts', at: 5, counts: { w: { PENDING: 0, RUNNING: burst, SUCCEEDED: 0, FAILED: 0, CANCELLED: 0 } } });
  assert.equal(store.getState().counts?.w?.RUNNING, burst);
  assert.equal(store.getState().runs.undefined, undefined, 'a counts frame is not a run');
  assert.equal(new URL(ws.url).searchParams.get('schedules'), 'true');
  ws.send({ type: 'schedules', at: 42 });
  assert.equal(store.getState().schedulesChangedAt, 42, 'the schedules page hears that they changed');
  store.stop();
});

test('a filtered list is read from the gateway, and the feed keeps it live: a run that comes to match joins, one that stops leaves', async (t) => {
  const queries = [];
  const row = (runId, status, createdAt) => ({ runId, workflow: 'w', version: 1, status, createdAt, updatedAt: createdAt, lastSeq: 2 });
  const { store, ws } = await openFeed(t, async (query) => {
    queries.push(query);
    // The newest runs are all running; an old failed run is only in the filtered page.
    if (query.status === 'FAILED') return { items: [row('old-failed', 'FAILED', 1)], nextCursor: null };
    return { items: [row('live-1', 'RUNNING', 100), row('live-2', 'RUNNING', 101)], nextCursor: null };
  });

  await store.filterRuns({ status: 'FAILED' });
  assert.deepEqual(queries.at(-1), { limit: 1000, status: 'FAILED' });
  const filteredIds = () => Object.keys(store.getState().filtered?.runs ?? {}).sort();
  assert.equal(store.getState().filtered.loaded, true);
  assert.deepEqual(filteredIds(), ['old-failed']);
  assert.equal(store.getState().runs['old-failed'], undefined, 'the list itself is unchanged');

  const failedAt = Date.now();
  ws.send({ runId: 'live-1', seq: 3, type: 'RunFailed', at: failedAt, data: { error: { type: 'Boom', message: 'boom' }, failedSteps: ['a'] }, cursor: 'c1' });
  await until(() => filteredIds().includes('live-1'), 'the run that failed joins');
  assert.deepEqual(filteredIds(), ['live-1', 'old-failed']);
  ws.send({ runId: 'old-failed', seq: 3, type: 'RunRetried', at: failedAt + 1, data: {}, cursor: 'c2' });
  await until(() => !filteredIds().includes('old-failed'), 'the retried run leaves');
  assert.deepEqual(filteredIds(), ['live-1']);
  // The live chart counts the end the feed brought, with its run's duration (from its start at 100).
  assert.equal(store.getState().ends.reduce((n, b) => n + b.failed, 0), 1);
  assert.deepEqual(store.getState().ends.flatMap((b) => b.durations), [failedAt - 100]);

  await store.filterRuns(undefined);
  assert.equal(store.getState().filtered, undefined);
  store.stop();
});
