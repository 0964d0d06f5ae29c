import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { RunEvent } from '@orchestrator-lite/core';
import { DEFINITION, http, openStream, produceEvents, runStarted, runSucceeded, startTestGateway, stepLog, waitFor } from '../helpers.js';

function ids(frames: Record<string, unknown>[]): string[] {
  return frames.map((f) => `${String(f.runId)}#${String(f.seq)}`);
}

/**
 * The same frames, each run's in the same order. Across partitions the order may differ: a
 * stream resumed from a cursor reads its backlog partition by partition, while the live stream
 * got the partitions' batches in the order they were consumed.
 */
function assertSameFramesPerRun(actual: Record<string, unknown>[], expected: Record<string, unknown>[]): void {
  const byRun = (frames: Record<string, unknown>[]): Map<string, string[]> => {
    const out = new Map<string, string[]>();
    for (const id of ids(frames)) {
      const run = id.slice(0, id.indexOf('#'));
      out.set(run, [...(out.get(run) ?? []), id]);
    }
    return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
  };
  assert.deepEqual(byRun(actual), byRun(expected));
}

/** Events seq from..to of one run (seq 1 is RunStarted). */
function history(runId: string, from: number, to: number): RunEvent[] {
  const out: RunEvent[] = [];
  for (let seq = from; seq <= to; seq++) out.push(seq === 1 ? runStarted(runId) : stepLog(runId, seq));
  return out;
}

void test('runId + since: the backlog after since, then live events, with no gap and no duplicate', async (t) => {
  const { url, transport, names, gateway } = await startTestGateway(t);
  await produceEvents(transport, names, [...history('r1', 1, 5), ...history('r2', 1, 3)]);
  await waitFor(async () => (await gateway.readModel.getRun('r1'))?.lastSeq === 5, 'r1 projected');

  const client = openStream(t, url, '?runId=r1&since=2');
  await client.opened;
  await client.waitForFrames(3);
  assert.deepEqual(
    client.frames.map((f) => f.seq),
    [3, 4, 5],
  );
  assert.deepEqual(Object.keys(client.frames[0] ?? {}).sort(), ['at', 'data', 'runId', 'seq', 'type']);

  await produceEvents(transport, names, [...history('r1', 6, 8), ...history('r2', 4, 5)]);
  await client.waitForFrames(6);
  await produceEvents(transport, names, history('r1', 9, 9));
  await client.waitForFrames(7);
  assert.deepEqual(
    client.frames.map((f) => f.seq),
    [3, 4, 5, 6, 7, 8, 9],
  );
  assert.ok(client.frames.every((f) => f.runId === 'r1'));
  // Live frames (the event's own text) and backlog frames (read back from the store) alike: the event's fields, nothing else.
  const sent = history('r1', 3, 9);
  assert.deepEqual(
    client.frames,
    sent.map(({ seq, runId, type, at, data }) => ({ seq, runId, type, at, data })),
  );
});

void test('connecting while events are being produced still yields a contiguous, duplicate-free sequence', async (t) => {
  const { url, transport, names, gateway } = await startTestGateway(t);
  const total = 120;
  await produceEvents(transport, names, history('busy', 1, 20));
  await waitFor(async () => (await gateway.readModel.getRun('busy'))?.lastSeq === 20, 'first events projected');
  // Produce the rest in small batches while clients connect at different moments.
  const producing = (async () => {
    for (let seq = 21; seq <= total; seq += 5) await produceEvents(transport, names, history('busy', seq, Math.min(seq + 4, total)));
  })();
  const clients = [];
  for (let i = 0; i < 4; i++) {
    clients.push({ since: i * 7, client: openStream(t, url, `?runId=busy&since=${i * 7}`) });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await producing;
  for (const { since, client } of clients) {
    await client.waitForFrames(total - since);
    const seqs = client.frames.map((f) => f.seq);
    assert.deepEqual(
      seqs,
      Array.from({ length: total - since }, (_, k) => since + k + 1),
      `since=${since}`,
    );
  }
});

void test('all runs: every frame carries a cursor, and ?cursor= resumes right after that frame', async (t) => {
  const { url, transport, names } = await startTestGateway(t);
  const a = openStream(t, url, '');
  await a.opened;
  await produceEvents(transport, names, [...history('x', 1, 4), ...history('y', 1, 3), ...history('z', 1, 3)]);
  await a.waitForFrames(10);
  assert.ok(a.frames.every((f) => typeof f.cursor === 'string' && /^[A-Za-z0-9_-]+$/.test(f.cursor)));
  // Live frames: the event's fields and the cursor, nothing else.
  for (const f of a.frames) assert.deepEqual(Object.keys(f).sort(), ['at', 'cursor', 'data', 'runId', 'seq', 'type']);
  // Per run, seq order is kept.
  for (const run of ['x', 'y', 'z']) {
    const seqs = a.frames.filter((f) => f.runId === run).map((f) => f.seq);
    assert.deepEqual(seqs, [...seqs].sort((p, q) => Number(p) - Number(q)));
  }

  const cut = 4;
  const b = openStream(t, url, `?cursor=${String(a.frames[cut - 1]?.cursor)}`);
  await b.opened;
  await b.waitForFrames(10 - cut);
  assertSameFramesPerRun(b.frames, a.frames.slice(cut));

  await produceEvents(transport, names, [...history('x', 5, 6), ...history('w', 1, 2)]);
  await a.waitForFrames(14);
  await b.waitForFrames(14 - cut);
  assertSameFramesPerRun(b.frames, a.frames.slice(cut));

  // The last cursor resumes with nothing missed and nothing repeated.
  const c = openStream(t, url, `?cursor=${String(a.frames[13]?.cursor)}`);
  await c.opened;
  await produceEvents(transport, names, history('x', 7, 7));
  await c.waitForFrames(1);
  await a.waitForFrames(15);
  assert.deepEqual(ids(c.frames), ['x#7']);
});

void test('?types= sends only those types; a cursor or since taken from it resumes past the events left out', async (t) => {
  const { url, transport, names, gateway } = await startTestGateway(t);
  const runLevel = '?types=RunStarted,RunSucceeded';
  const all = openStream(t, url, '');
  const ends = openStream(t, url, runLevel);
  await Promise.all([all.opened, ends.opened]);
  await produceEvents(transport, names, [...history('a', 1, 4), runSucceeded('a', 5), ...history('b', 1, 3)]);
  await all.waitForFrames(8);
  await ends.waitForFrames(3);
  assert.deepEqual(ids(ends.frames).sort(), ['a#1', 'a#5', 'b#1']);
  assert.deepEqual(new Set(ends.frames.map((f) => f.type)), new Set(['RunStarted', 'RunSucceeded']));

  // Resumed from the filtered stream's last cursor: b's logs were passed over, and are not sent now.
  const last = ends.frames.at(-1)?.cursor;
  await produceEvents(transport, names, [...history('b', 4, 5), runSucceeded('b', 6)]);
  await all.waitForFrames(11);
  const resumed = openStream(t, url, `${runLevel}&cursor=${String(last)}`);
  await resumed.opened;
  await resumed.waitForFrames(1);
  await ends.waitForFrames(4);
  assert.deepEqual(ids(resumed.frames), ['b#6']);

  // One run's stream, from its backlog: only its StepLog events after seq 2.
  await waitFor(async () => (await gateway.readModel.getRun('a'))?.lastSeq === 5, 'a projected');
  const logs = openStream(t, url, '?runId=a&since=2&types=StepLog');
  await logs.opened;
  await logs.waitForFrames(2);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(ids(logs.frames), ['a#3', 'a#4']);
});

void test('?counts=true: the runs by workflow and status on connecting, then again when they change', async (t) => {
  const { url, transport, names, gateway } = await startTestGateway(t);
  await produceEvents(transport, names, [runStarted('o1', 1_000, 'orders'), runStarted('o2', 1_000, 'orders'), runStarted('m1', 1_000, 'mail')]);
  await waitFor(async () => (await gateway.readModel.getRun('m1')) !== undefined, 'runs projected');
  const client = openStream(t, url, '?counts=true&types=RunSucceeded');
  await client.opened;
  const countsFrames = (): Record<string, unknown>[] => client.frames.filter((f) => f.type === 'counts');
  await waitFor(async () => countsFrames().length === 1, 'the counts on connecting');
  const first = countsFrames()[0] as { at: unknown; counts: Record<string, Record<string, number>> };
  assert.equal(typeof first.at, 'number');
  assert.equal(first.counts.orders?.RUNNING, 2);
  assert.equal(first.counts.mail?.RUNNING, 1);
  assert.equal(first.counts.orders?.SUCCEEDED, 0);

  await produceEvents(transport, names, [runSucceeded('o1', 2)]);
  await waitFor(async () => countsFrames().length === 2, 'the counts after a change', 10_000);
  const second = countsFrames()[1] as { counts: Record<string, Record<string, number>> };
  assert.deepEqual([second.counts.orders?.RUNNING, second.counts.orders?.SUCCEEDED, second.counts.mail?.RUNNING], [1, 1, 1]);
  // The events asked for came too; unchanged counts are not sent again.
  assert.deepEqual(ids(client.frames.filter((f) => f.type !== 'counts')), ['o1#2']);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  assert.equal(countsFrames().length, 2);
  // A stream without counts=true gets no counts frame.
  const plain = openStream(t, url, '');
  await plain.opened;
  await produceEvents(transport, names, [runSucceeded('o2', 2)]);
  await plain.waitForFrames(1);
  await waitFor(async () => countsFrames().length === 3, 'the counts after the second change', 10_000);
  assert.ok(plain.frames.every((f) => f.type !== 'counts'));
});

void test('?schedules=true: a frame when the schedules change, at most one a second', async (t) => {
  const { url } = await startTestGateway(t, { scheduler: { tickMs: 0 } });
  assert.equal((await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 201);
  const client = openStream(t, url, '?schedules=true&types=RunStarted');
  const plain = openStream(t, url, '');
  await Promise.all([client.opened, plain.opened]);
  const schedulesFrames = (): Record<string, unknown>[] => client.frames.filter((f) => f.type === 'schedules');
  assert.equal((await http(url, 'PUT', '/api/v1/schedules/nightly', { workflow: 'orders', cron: '0 9 * * *' })).status, 201);
  await waitFor(async () => schedulesFrames().length === 1, 'the frame for the new schedule');
  const first = schedulesFrames()[0];
  assert.deepEqual(Object.keys(first ?? {}).sort(), ['at', 'type']);
  // Two more changes at once: told once more, a second after the first.
  assert.equal((await http(url, 'PUT', '/api/v1/schedules/nightly', { workflow: 'orders', cron: '0 10 * * *' })).status, 200);
  assert.equal((await http(url, 'DELETE', '/api/v1/schedules/nightly')).status, 204);
  await waitFor(async () => schedulesFrames().length === 2, 'the frame for the later changes', 5_000);
  const gap = Number(schedulesFrames()[1]?.at) - Number(first?.at);
  assert.ok(gap >= 990, `the second frame waited for the interval (${gap} ms)`);
  await new Promise((resolve) => setTimeout(resolve, 1_300));
  assert.equal(schedulesFrames().length, 2);
  assert.ok(plain.frames.every((f) => f.type !== 'schedules'), 'a stream without schedules=true gets none');
});

void test('bad parameters close with 1008 and a reason naming the parameter', async (t) => {
  const { url } = await startTestGateway(t);
  const cases: [string, RegExp][] = [
    ['?since=0', /since/],
    ['?runId=r1&since=abc', /since/],
    ['?runId=r1&since=-1', /since/],
    ['?cursor=not-a-cursor', /cursor/],
    ['?cursor=eyJwIjpbMV19', /cursor/],
    ['?runId=r1&cursor=eyJwIjpbMCwwLDBdfQ', /cursor/],
    ['?runId=a&runId=b', /runId/],
    ['?types=RunStarted,NoSuchEvent', /types: "NoSuchEvent" is not an event type/],
    ['?types=RunStarted,,RunFailed', /types/],
    ['?types=', /types/],
    ['?counts=yes', /counts: must be true or false/],
    ['?runId=r1&counts=true', /counts: not with runId/],
    ['?schedules=1', /schedules: must be true or false/],
    ['?runId=r1&schedules=true', /schedules: not with runId/],
  ];
  for (const [query, reason] of cases) {
    const client = openStream(t, url, query);
    const closed = await client.closed;
    assert.equal(closed.code, 1008, query);
    assert.match(closed.reason, reason, query);
  }
  assert.equal((await http(url, 'GET', '/healthz')).status, 200);
});

void test('client frames: ping gets pong; anything else gets an error frame; an oversize frame gets an error frame and 1009', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const { url } = await startTestGateway(t, { wsMaxFrameBytes: 1024, logger: pino({ level: 'info' }, sink) });
  const client = openStream(t, url, '');
  await client.opened;
  client.socket.send(JSON.stringify({ type: 'ping' }));
  await client.waitForFrames(1);
  assert.deepEqual(client.frames[0], { type: 'pong' });

  client.socket.send('not json {');
  client.socket.send(JSON.stringify({ type: 'subscribe', runId: 'x' }));
  client.socket.send(Buffer.from([0xff, 0x00, 0x12]));
  await client.waitForFrames(4);
  for (const frame of client.frames.slice(1)) {
    assert.equal(frame.type, 'error');
    assert.equal((frame.error as { code: string }).code, 'ORCH_BAD_REQUEST');
    assert.equal(typeof (frame.error as { message: string }).message, 'string');
  }

  client.socket.send('x'.repeat(2048));
  const closed = await client.closed;
  assert.equal(closed.code, 1009);
  const last = client.frames[client.frames.length - 1];
  assert.equal(last?.type, 'error');
  assert.equal((last?.error as { code: string }).code, 'ORCH_PAYLOAD_TOO_LARGE');

  // Far larger than the limit: ws refuses it before buffering; still 1009, and the server lives on.
  const huge = openStream(t, url, '');
  await huge.opened;
  huge.socket.send(Buffer.alloc(64 * 1024, 1));
  assert.equal((await huge.closed).code, 1009);
  assert.equal((await http(url, 'GET', '/healthz')).status, 200);
  // Both oversize frames are the client's doing: warnings, without a stack; nothing at error.
  await waitFor(() => lines.filter((l) => l.level === 40).length >= 2, 'two warnings');
  assert.deepEqual(lines.filter((l) => (l.level as number) >= 50), []);
  for (const warning of lines.filter((l) => l.level === 40)) assert.doesNotMatch(JSON.stringify(warning), /stack| {4}at /);
});

void test('a stream for an unknown run says so: an error frame naming the run, then close 1008', async (t) => {
  const { url, transport, names, gateway } = await startTestGateway(t);
  const client = openStream(t, url, '?runId=no-such-run&since=0');
  const closed = await client.closed;
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /runId/);
  assert.equal(client.frames.length, 1);
  assert.equal(client.frames[0]?.type, 'error');
  assert.equal((client.frames[0]?.error as { code: string }).code, 'ORCH_NOT_FOUND');
  assert.match((client.frames[0]?.error as { message: string }).message, /no-such-run/);
  // A known run streams as before.
  await produceEvents(transport, names, history('known', 1, 2));
  await waitFor(async () => (await gateway.readModel.getRun('known'))?.lastSeq === 2, 'known projected');
  const known = openStream(t, url, '?runId=known&since=0');
  assert.equal((await known.waitForFrames(2)).length, 2);
});

void test('a client that stops reading is closed with 1013 instead of buffering without bound', async (t) => {
  const { url, transport, names } = await startTestGateway(t, { wsMaxBufferedBytes: 64 * 1024 });
  const client = openStream(t, url, '');
  await client.opened;
  client.socket.pause();
  const big = 'x'.repeat(8 * 1024);
  const deadline = Date.now() + 20_000;
  let seq = 0;
  // Keep producing until the server gives up on the paused client (bounded in count and time).
  while (seq < 4_000 && Date.now() < deadline) {
    const batch: RunEvent[] = [];
    for (let i = 0; i < 100; i++) {
      seq += 1;
      batch.push(seq === 1 ? runStarted('flood') : stepLog('flood', seq, big));
    }
    await produceEvents(transport, names, batch);
    const metrics = await http(url, 'GET', '/metrics');
    if (/orch_gateway_ws_clients 0/.test(String(metrics.body))) break;
  }
  const metrics = await http(url, 'GET', '/metrics');
  assert.match(String(metrics.body), /orch_gateway_ws_clients 0/);
  client.socket.resume();
  const closed = await client.closed;
  assert.equal(closed.code, 1013);
});
