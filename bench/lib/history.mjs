/**
 * The events of one finished run of a 2-step chain, as the orchestrator writes them: the history
 * the read-store measurements fill a store with.
 */
export function finishedChainEvents(runId, t) {
  const definition = { name: 'chain', steps: [{ id: 'a', task: 'echo' }, { id: 'b', task: 'echo', dependsOn: ['a'] }] };
  const e = (seq, type, data) => ({ runId, seq, type, at: t + seq, data });
  return [
    e(1, 'RunStarted', { workflow: 'chain', version: 1, input: { n: 1 }, definition }),
    e(2, 'StepScheduled', { stepId: 'a', attempt: 1, task: 'echo', queue: 'default', input: { n: 1 } }),
    e(3, 'StepStarted', { stepId: 'a', attempt: 1, workerId: 'w' }),
    e(4, 'StepSucceeded', { stepId: 'a', attempt: 1, output: { n: 1 } }),
    e(5, 'StepScheduled', { stepId: 'b', attempt: 1, task: 'echo', queue: 'default', input: { n: 1 } }),
    e(6, 'StepStarted', { stepId: 'b', attempt: 1, workerId: 'w' }),
    e(7, 'StepSucceeded', { stepId: 'b', attempt: 1, output: { n: 2 } }),
    e(8, 'RunSucceeded', { output: { n: 2 } }),
  ];
}
