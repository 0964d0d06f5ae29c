import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downstreamOf, projectRun, workflow } from '../../src/index.js';
import { RunHarness } from './harness.js';

const def = workflow('etl')
  .step('extract', 'demo.echo')
  .step('transform', 'demo.echo', { dependsOn: ['extract'], input: { rows: '${steps.extract.output.rows}' } })
  .step('load', 'demo.echo', { dependsOn: ['transform'] })
  .step('audit', 'demo.echo')
  .build();

void test('the steps downstream of a step are it and every step that depends on it', () => {
  assert.deepEqual([...downstreamOf(def, 'transform')].sort(), ['load', 'transform']);
  assert.deepEqual([...downstreamOf(def, 'extract')].sort(), ['extract', 'load', 'transform']);
});

void test('a rerun starts the reused steps SUCCEEDED with their outputs, with an event each, and runs the rest from there', () => {
  const h = new RunHarness(def, { runId: 'run-2' });
  const r = h.apply({
    v: 1,
    type: 'StartRun',
    runId: 'run-2',
    workflow: 'etl',
    version: 1,
    definition: def,
    input: {},
    reuse: { fromRunId: 'run-1', fromStep: 'transform', steps: { extract: { output: { rows: 7 } }, audit: { output: 'ok' } } },
    at: h.now,
  });
  assert.deepEqual(
    r.events.map((e) => (e.type === 'StepReused' ? `${e.type}:${e.data.stepId}` : e.type === 'StepScheduled' ? `${e.type}:${e.data.stepId}` : e.type)),
    ['RunStarted', 'StepReused:extract', 'StepReused:audit', 'StepScheduled:transform'],
  );
  assert.deepEqual(r.events[0]?.type === 'RunStarted' ? r.events[0].data.rerunOf : undefined, { runId: 'run-1', fromStep: 'transform' });
  // transform's input is templated from the reused output of extract.
  assert.deepEqual(h.tasks.map((t) => [t.stepId, t.input]), [['transform', { rows: 7 }]]);
  assert.equal(h.state?.steps.extract?.status, 'SUCCEEDED');
  assert.deepEqual(h.state?.steps.extract?.attempts, []);
  h.complete('transform');
  h.complete('load');
  assert.equal(h.state?.status, 'SUCCEEDED');
  const view = projectRun(h.events);
  assert.deepEqual([view?.steps.extract?.status, view?.steps.extract?.output, view?.rerunOf?.runId], ['SUCCEEDED', { rows: 7 }, 'run-1']);
  h.checkInvariants();
});
