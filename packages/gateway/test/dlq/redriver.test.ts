import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { ProduceRecord, Transport } from '@orchestrator-lite/transport';
import { Redriver } from '../../src/dlq/redriver.js';

void test('a redrive produces at most ratePerSec records per second of the injected clock', async () => {
  let clock = 0;
  const slices: number[][] = [];
  const sleeps: number[] = [];
  const transport = {
    produce: async (records: ProduceRecord[]) => {
      slices.push(records.map((r) => Number(r.key)));
      clock += 100;
      return [];
    },
  } as unknown as Transport;
  const redriver = new Redriver({
    transport,
    logger: pino({ level: 'silent' }),
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
  });
  const records = Array.from({ length: 5 }, (_, i): ProduceRecord => ({ topic: 't', key: String(i), value: null }));
  await redriver.start(records, 2);
  assert.deepEqual(slices, [[0, 1], [2, 3], [4]]);
  assert.deepEqual(sleeps, [900, 900]);
  await redriver.close();
});
