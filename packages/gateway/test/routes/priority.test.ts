import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRunInput } from '@orchestrator-lite/core';
import type { RunInput } from '@orchestrator-lite/core';
import { DEFINITION, http, startTestGateway } from '../helpers.js';

void test('POST /api/v1/runs takes a priority 1..3 and carries it on the StartRun; anything else is 400 naming it', async (t) => {
  const { url, transport, names } = await startTestGateway(t);
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  const high = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', priority: 1 });
  assert.equal(high.status, 202);
  const normal = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders' });
  for (const priority of [0, 4, 1.5, 'high']) {
    const bad = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', priority });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { error: { details: { field: string } } }).error.details.field, 'priority');
  }
  const commands: RunInput[] = [];
  for (let p = 0; p < 3; p += 1) for await (const batch of transport.readPartition(names.commands, p)) for (const r of batch) commands.push(decodeRunInput(r.value));
  const priorityOf = (runId: string): number | undefined => {
    const c = commands.find((x) => x.runId === runId);
    return c?.type === 'StartRun' ? c.priority : -1;
  };
  assert.equal(priorityOf((high.body as { runId: string }).runId), 1);
  assert.equal(priorityOf((normal.body as { runId: string }).runId), undefined);
});
