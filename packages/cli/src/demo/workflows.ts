import type { WorkflowDefinition } from '@orchestrator-lite/core';
import { languageDemoWorkflows } from './language-workflows.js';

/** Registered by `orch start` so that a newcomer has something to run and watch. */
export const demoWorkflows: readonly WorkflowDefinition[] = [
  {
    name: 'diamond',
    description: 'A fans out to B and C, which join in D. C is flaky: it fails twice, then succeeds.',
    steps: [
      { id: 'a', task: 'demo.echo', input: { value: '${input.value}' } },
      { id: 'b', task: 'demo.echo', dependsOn: ['a'], input: { branch: 'b', from: '${steps.a.output.value}' } },
      {
        id: 'c',
        task: 'demo.flaky',
        dependsOn: ['a'],
        input: { branch: 'c', failTimes: 2, from: '${steps.a.output.value}' },
        retry: { maxAttempts: 5, initialIntervalMs: 1000, backoffCoefficient: 2, maxIntervalMs: 10_000, jitter: 'full' },
      },
      { id: 'd', task: 'demo.echo', dependsOn: ['b', 'c'], input: { b: '${steps.b.output}', c: '${steps.c.output}' } },
    ],
    output: '${steps.d.output}',
  },
  {
    name: 'sleepy-chain',
    description: 'Five steps in a row, each sleeping and reporting progress.',
    steps: ['one', 'two', 'three', 'four', 'five'].map((id, i, ids) => ({
      id,
      task: 'demo.sleep',
      ...(i > 0 ? { dependsOn: [ids[i - 1]!] } : {}),
      input: { ms: '${input.ms}', ticks: 10 },
      timeoutMs: 120_000,
    })),
  },
  {
    name: 'fan-out',
    description: 'One step fans out to eight in parallel; a last one gathers them.',
    steps: [
      { id: 'split', task: 'demo.echo', input: { items: 8 } },
      ...Array.from({ length: 8 }, (_, i) => ({
        id: `work-${i + 1}`,
        task: 'demo.sleep',
        dependsOn: ['split'],
        input: { ms: 300 + i * 150, ticks: 5 },
      })),
      {
        id: 'gather',
        task: 'demo.echo',
        dependsOn: Array.from({ length: 8 }, (_, i) => `work-${i + 1}`),
        input: { done: 8 },
      },
    ],
  },
  {
    name: 'always-fails',
    description: 'A step that always fails: three attempts with backoff, then the run fails.',
    steps: [
      { id: 'doomed', task: 'demo.fail', retry: { maxAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2, jitter: 'equal' } },
      { id: 'after', task: 'demo.echo', dependsOn: ['doomed'] },
    ],
  },
  {
    name: 'fail-fast',
    description: 'A non-retryable failure: one attempt, then the run fails.',
    steps: [{ id: 'reject', task: 'demo.fail', input: { nonRetryable: true, message: 'the order was rejected' } }],
  },
  ...languageDemoWorkflows,
];
