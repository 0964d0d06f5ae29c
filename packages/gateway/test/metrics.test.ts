/**
 * /metrics on a real gateway (embedded bus): runs and steps by status from the read store, the
 * dead-letter size and each registered queue's consumer lag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { RunEvent, WorkflowDefinition } from '@orchestrator-lite/core';
import type { Transport } from '@orchestrator-lite/transport';
import { BusMetrics, queueLag } from '../src/bus-metrics.js';
import { startGateway } from '../src/index.js';
import { http, produceEvents, startTestGateway, waitFor } from './helpers.js';

const PAY: WorkflowDefinition = {
  name: 'pay',
  steps: [
    { id: 'charge', task: 'charge-card', queue: 'payments' },
    { id: 'ship', task: 'ship-parcel', dependsOn: ['charge'] },
  ],
};

/** A run whose `charge` step fails once (2 s), is retried, then succeeds (0.5 s). */
function history(runId: string): RunEvent[] {
  const e = <T extends RunEvent['type']>(seq: number, type: T, at: number, data: Extract<RunEvent, { type: T }>['data']): RunEvent =>
    ({ runId, seq, type, at, data }) as RunEvent;
  const err = { type: 'Declined', message: 'card declined' };
  return [
    e(1, 'RunStarted', 1_000, { workflow: 'pay', version: 1, input: {}, definition: PAY }),
    e(2, 'StepScheduled', 1_000, { stepId: 'charge', attempt: 1, task: 'charge-card', queue: 'payments', input: {} }),
    e(3, 'StepStarted', 1_250, { stepId: 'charge', attempt: 1, workerId: 'w1' }),
    e(4, 'AttemptFailed', 3_250, { stepId: 'charge', attempt: 1, error: err, reason: 'error' }),
    e(5, 'RetryScheduled', 3_250, { stepId: 'charge', attempt: 1, nextAttempt: 2, jitter: 'none', baseDelayMs: 500, jitterMs: 0, delayMs: 500, dueAt: 3_750 }),
    e(6, 'StepScheduled', 3_750, { stepId: 'charge', attempt: 2, task: 'charge-card', queue: 'payments', input: {} }),
    e(7, 'StepStarted', 3_850, { stepId: 'charge', attempt: 2, workerId: 'w1' }),
    e(8, 'StepSucceeded', 4_350, { stepId: 'charge', attempt: 2, output: { ok: true } }),
  ];
}

/** The value of one series in Prometheus text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(url: string): Promise<string> {
  const res = await http(url, 'GET', '/metrics');
  assert.equal(res.status, 200);
  return String(res.body);
}

void test('metrics from the read store: runs by status and workflow, steps by status; task timings are left to the workers', async (t) => {
  const { url, transport, names, gateway } = await startTestGateway(t, { busMetricsCacheMs: 0 });
  await produceEvents(transport, names, history('r1'));
  await waitFor(async () => (await gateway.readModel.getRun('r1'))?.lastSeq === 8, 'the run to be projected');
  const text = await scrape(url);

  assert.equal(sample(text, 'orch_runs{status="RUNNING",workflow="pay"}'), 1);
  assert.equal(sample(text, 'orch_runs{status="SUCCEEDED",workflow="pay"}'), 0);
  assert.equal(sample(text, 'orch_steps{status="SUCCEEDED"}'), 1);
  assert.equal(sample(text, 'orch_steps{status="PENDING"}'), 1);
  assert.equal(sample(text, 'orch_gateway_records_consumed_total{topic="' + names.events + '"}'), 8);
  assert.ok(!text.includes('orch_task_run_seconds'), 'run times are counted by the workers');
  assert.ok(!text.includes('orch_retries_total'), 'retries are counted by the workers');
});

void test('a gateway restarted on its read store resumes from the checkpoint: the gauges hold, and no old event is read again', async (t) => {
  const { transport, names, dataDir } = await startTestGateway(t);
  const topicPrefix = names.events.slice(0, -'events'.length);
  const options = { transport, topicPrefix, host: '127.0.0.1', port: 0, partitions: 3, dataDir, logger: pino({ level: 'silent' }) };
  const first = await startGateway(options);
  await produceEvents(transport, names, history('r1'));
  await waitFor(async () => (await first.readModel.getRun('r1'))?.lastSeq === 8, 'the first gateway to project the run');
  assert.equal(sample(await scrape(first.url), `orch_gateway_records_consumed_total{topic="${names.events}"}`), 8);
  await first.close();

  const second = await startGateway(options);
  t.after(() => second.close());
  await waitFor(() => second.isReady(), 'the second gateway to be ready');
  const text = await scrape(second.url);
  assert.equal(sample(text, 'orch_runs{status="RUNNING",workflow="pay"}'), 1);
  assert.equal(sample(text, 'orch_steps{status="SUCCEEDED"}'), 1);
  assert.equal(sample(text, `orch_gateway_records_consumed_total{topic="${names.events}"}`), undefined, 'no event was read again');
  // New events go on from the checkpoint.
  await produceEvents(transport, names, [{ runId: 'r1', seq: 9, type: 'RunSucceeded', at: 5_000, data: { output: {} } }]);
  await waitFor(async () => (await second.readModel.getRun('r1'))?.status === 'SUCCEEDED', 'the new event');
  assert.equal(sample(await scrape(second.url), `orch_gateway_records_consumed_total{topic="${names.events}"}`), 1);
  assert.equal((await second.readModel.eventsSince('r1', 0, 100)).length, 9);
});

void test('bus metrics: dead-letter size and consumer lag of the queues of registered workflows', async (t) => {
  const { url, transport, names } = await startTestGateway(t, { busMetricsCacheMs: 0 });
  const before = await scrape(url);
  assert.equal(sample(before, 'orch_dlq_records'), 0);
  assert.equal(sample(before, 'orch_bus_metrics_up'), 1);
  assert.ok(!before.includes('orch_queue_lag{'), 'no queue is known before any workflow is registered');

  await transport.produce([
    { topic: names.dlq, key: 'a', value: Buffer.from('x') },
    { topic: names.dlq, key: 'b', value: Buffer.from('y') },
  ]);
  const tasks = names.tasks('payments');
  await transport.ensureTopics([
    { name: tasks, partitions: 3 },
    { name: names.tasks('default'), partitions: 3 },
  ]);
  await transport.produce([0, 1, 2].map((i) => ({ topic: tasks, key: `r1:charge:${i}`, value: Buffer.from('{}'), partition: 0 })));
  // A worker group that finished (and committed) only the first task.
  const group = `${names.events.slice(0, -'events'.length)}workers.payments`;
  const consumer = await transport.subscribe({
    groupId: group,
    topics: [tasks],
    onBatch: async () => undefined,
  });
  t.after(() => consumer.close());
  await waitFor(() => consumer.assignments().some((tp) => tp.partition === 0), 'the worker group to own partition 0');
  await consumer.commit([{ topic: tasks, partition: 0, offset: 1 }]);
  assert.equal((await transport.committedOffsets(group, tasks))[0], 1);
  assert.equal((await http(url, 'PUT', '/api/v1/workflows/pay', PAY)).status, 201);

  const text = await scrape(url);
  assert.equal(sample(text, 'orch_dlq_records'), 2);
  assert.equal(sample(text, 'orch_queue_lag{queue="payments"}'), 2);
  assert.equal(sample(text, 'orch_queue_lag{queue="default"}'), 0);
  assert.equal(sample(text, 'orch_bus_metrics_up'), 1);
});

void test("bus metrics: the bus's writes, as the transport counts them", async (t) => {
  const { url, transport, names } = await startTestGateway(t);
  const before = await scrape(url);
  const total = (text: string, name: string): number => {
    const value = sample(text, name);
    assert.ok(value !== undefined, `${name} is reported`);
    return value;
  };
  // Three calls made together, with five records in all.
  await Promise.all([
    transport.produce([{ topic: names.dlq, key: 'a', value: Buffer.from('x') }]),
    transport.produce([{ topic: names.dlq, key: 'b', value: Buffer.from('y') }]),
    transport.produce([1, 2, 3].map((i) => ({ topic: names.dlq, key: `c${i}`, value: Buffer.from('z') }))),
  ]);
  const after = await scrape(url);
  const stats = transport.writeStats();
  assert.equal(total(after, 'orch_bus_writes_total'), stats.writes);
  assert.equal(total(after, 'orch_bus_writes_total') - total(before, 'orch_bus_writes_total'), 3);
  assert.equal(total(after, 'orch_bus_write_records_total') - total(before, 'orch_bus_write_records_total'), 5);
  const requests = total(after, 'orch_bus_write_requests_total') - total(before, 'orch_bus_write_requests_total');
  assert.ok(requests >= 1 && requests <= 3, `the three calls went in 1 to 3 requests, not ${requests}`);
  assert.ok(total(after, 'orch_bus_write_request_seconds_total') > total(before, 'orch_bus_write_request_seconds_total'));
  assert.ok(total(after, 'orch_bus_write_wait_seconds_total') >= total(before, 'orch_bus_write_wait_seconds_total'));
});

void test("bus metrics: the writes of a role with a client of its own count with the transport's", async (t) => {
  // A role on a thread with a Kafka client of its own answers its counters asynchronously.
  const own = { writes: 7, records: 40, requests: 2, queuedMs: 3, requestMs: 1500 };
  const { url, transport } = await startTestGateway(t, { writesFrom: [{ writeStats: async () => own }] });
  const text = await scrape(url);
  const stats = transport.writeStats();
  assert.equal(sample(text, 'orch_bus_writes_total'), stats.writes + 7);
  assert.equal(sample(text, 'orch_bus_write_records_total'), stats.records + 40);
  assert.equal(sample(text, 'orch_bus_write_requests_total'), stats.requests + 2);
  assert.ok(Math.abs(sample(text, 'orch_bus_write_request_seconds_total')! - (stats.requestMs + 1500) / 1000) < 1e-6);
});

void test('queueLag: a partition with no commit lags by its whole log; a commit never makes lag negative', () => {
  assert.equal(queueLag([5, 3, 0], [2, -1, -1]), 6);
  assert.equal(queueLag([5], [7]), 0);
  assert.equal(queueLag([4, 4], []), 8);
});

void test('bus metrics are measured once per cache period, however many scrapes', async (t) => {
  const { transport, names } = await startTestGateway(t);
  let calls = 0;
  const counting = new Proxy(transport as Transport, {
    get(target, prop, receiver) {
      if (prop === 'endOffsets') {
        return (topic: string) => {
          calls += 1;
          return target.endOffsets(topic);
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  let now = 0;
  const bus = new BusMetrics({ transport: counting, names, topicPrefix: 'x.', cacheMs: 1000, now: () => now }, new Set());
  await bus.snapshot();
  await bus.snapshot();
  now = 999;
  await bus.snapshot();
  assert.equal(calls, 1);
  now = 1000;
  assert.equal((await bus.snapshot()).dlq, 0);
  assert.equal(calls, 2);
});

void test('a bus that fails to answer turns orch_bus_metrics_up to 0 and leaves the series out', async (t) => {
  const { transport, names } = await startTestGateway(t);
  const broken = new Proxy(transport as Transport, {
    get(target, prop, receiver) {
      if (prop === 'endOffsets') return () => Promise.reject(new Error('broker unreachable'));
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  const bus = new BusMetrics({ transport: broken, names, topicPrefix: 'x.', cacheMs: 0 }, new Set(['payments']));
  const snapshot = await bus.snapshot();
  assert.equal(snapshot.ok, false);
  assert.equal(snapshot.dlq, undefined);
  assert.equal(snapshot.lag.size, 0);
});

void test('/metrics also serves the registries of roles running beside the gateway', async (t) => {
  const { Registry, Counter } = await import('prom-client');
  const other = new Registry();
  new Counter({ name: 'orch_task_retries_total', help: 'retries', labelNames: ['task'], registers: [other] }).inc({ task: 'charge' });
  const { url } = await startTestGateway(t, { metricsFrom: [other] });
  const text = await scrape(url);
  assert.equal(sample(text, 'orch_task_retries_total{task="charge"}'), 1);
  assert.ok(text.includes('orch_runs'), 'and the gateway own');
});
