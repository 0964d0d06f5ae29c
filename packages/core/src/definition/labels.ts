import type { StepDefinition } from './types.js';

/** What a step does, in a few words: its task, or `sleep`, `signal <name>`, `workflow <name>`. */
export function stepLabel(def: Pick<StepDefinition, 'type' | 'task' | 'signal' | 'workflow'>): string {
  switch (def.type ?? 'task') {
    case 'sleep':
      return 'sleep';
    case 'wait':
      return `signal ${def.signal ?? ''}`;
    case 'workflow':
      return `workflow ${def.workflow ?? ''}`;
    default:
      return def.task ?? '';
  }
}
