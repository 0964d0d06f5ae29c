import type { WorkflowDefinition } from '@orchestrator-lite/core';

/**
 * Demo workflows of the language's control flow: a human approval (a wait for a signal), and an
 * order that switches on its amount, picks its lines with a forEach, cools down with a durable
 * sleep and bills through a child workflow.
 */
export const languageDemoWorkflows: readonly WorkflowDefinition[] = [
  {
    name: 'approval',
    description:
      'Waits for a person: press "Approve" in the UI, or POST /api/v1/runs/{runId}/signals/approval {"payload":{"approved":true}}. ' +
      'The decision picks the branch; with no answer within a day the wait fails.',
    steps: [
      { id: 'prepare', task: 'demo.echo', input: { request: '${input.request}', amount: '${input.amount}' } },
      { id: 'approve', type: 'wait', signal: 'approval', dependsOn: ['prepare'], timeoutMs: 86_400_000 },
      {
        id: 'approved',
        task: 'demo.echo',
        dependsOn: ['approve'],
        if: 'type(steps.approve.output) == map && steps.approve.output.approved == true',
        input: { decision: '${steps.approve.output}' },
      },
      {
        id: 'rejected',
        task: 'demo.echo',
        dependsOn: ['approve'],
        if: '!(type(steps.approve.output) == map && steps.approve.output.approved == true)',
        input: { decision: '${steps.approve.output}' },
      },
      { id: 'notify', task: 'demo.echo', dependsOn: ['approved', 'rejected'], input: { request: '${input.request}', decision: '${steps.approve.output}' } },
    ],
    output: '${steps.notify.output}',
  },
  {
    name: 'order-invoice',
    description: 'The child workflow of "order": totals the lines of an order.',
    steps: [{ id: 'total', task: 'demo.echo', input: { order: '${input.order}', lines: '${input.lines}' } }],
    output: '${steps.total.output}',
  },
  {
    name: 'order',
    description:
      'A switch on the amount (express at 100 or more, standard below), a forEach over the lines (two at a time), ' +
      'a 5-second durable sleep, and a child workflow, "order-invoice". Input: {"id":"o-1","amount":120,"lines":[{"sku":"a"},{"sku":"b"},{"sku":"c"}]}.',
    steps: [
      { id: 'validate', task: 'demo.echo', input: { id: '${input.id}', amount: '${input.amount}' } },
      { id: 'express', task: 'demo.sleep', dependsOn: ['validate'], if: 'input.amount >= 100', input: { ms: 500, ticks: 5 } },
      { id: 'standard', task: 'demo.sleep', dependsOn: ['validate'], if: 'input.amount < 100', input: { ms: 1500, ticks: 5 } },
      {
        id: 'pick',
        task: 'demo.sleep',
        dependsOn: ['express', 'standard'],
        forEach: 'input.lines',
        maxParallel: 2,
        input: { ms: 800, ticks: 4, sku: '${item.sku}', line: '${index}' },
      },
      { id: 'cool-down', type: 'sleep', dependsOn: ['pick'], durationMs: 5000 },
      { id: 'invoice', type: 'workflow', workflow: 'order-invoice', dependsOn: ['cool-down'], input: { order: '${input.id}', lines: '${input.lines}' } },
    ],
    output: { picked: '${steps.pick.output}', invoice: '${steps.invoice.output}' },
  },
];
