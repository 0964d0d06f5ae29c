/**
 * A typed builder for definitions in TypeScript:
 *
 *   workflow('orders.ship')
 *     .step('fetch', 'http.get', { input: { url: '${input.url}' } })
 *     .step('save', 'db.put', { dependsOn: ['fetch'], input: { body: '${steps.fetch.output}' } })
 *     .build();
 *
 * Besides `.step()` (a task), `.sleep()`, `.wait()` and `.child()` add the other step types;
 * every kind takes `if`, and task steps take `forEach` and `maxParallel`.
 * Each call returns a new builder whose type remembers the ids declared so far, so that
 * `dependsOn` only accepts earlier ids. `build()` validates like parseDefinition.
 */
import type { ConcurrencySpec, RetryPolicy, StepDefinition, WorkflowDefinition } from './types.js';
import { parseDefinition } from './validate.js';

interface CommonOptions<Prev extends string> {
  /** Ids of earlier steps that must end first. */
  dependsOn?: readonly Prev[];
  /** A CEL condition: false makes the step SKIPPED. */
  if?: string;
}

export interface StepOptions<Prev extends string> extends CommonOptions<Prev> {
  input?: unknown;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  heartbeatTimeoutMs?: number;
  queue?: string;
  /** A CEL list: the task runs once per element, with `${item}` and `${index}` in its input. */
  forEach?: string;
  maxParallel?: number;
}

export type SleepOptions<Prev extends string> = CommonOptions<Prev> & ({ durationMs: number } | { until: string });

export interface WaitOptions<Prev extends string> extends CommonOptions<Prev> {
  timeoutMs?: number;
}

export interface ChildOptions<Prev extends string> extends CommonOptions<Prev> {
  version?: number;
  input?: unknown;
  retry?: Partial<RetryPolicy>;
}

/** Copies the defined options onto a step, in a stable key order. */
function withOptions(step: StepDefinition, options: object): StepDefinition {
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    (step as unknown as Record<string, unknown>)[key] = Array.isArray(value) ? [...(value as unknown[])] : structuredClone(value);
  }
  return step;
}

/** The workflow-level fields of a definition: everything but its steps. */
type WorkflowHead = Omit<WorkflowDefinition, 'steps'>;

export class WorkflowBuilder<Ids extends string = never> {
  readonly #head: WorkflowHead;
  readonly #steps: readonly StepDefinition[];

  constructor(head: WorkflowHead, steps: readonly StepDefinition[] = []) {
    this.#head = head;
    this.#steps = steps;
  }

  /** Adds a step; returns a new builder (this one is unchanged). */
  step<Id extends string>(id: Id, task: string, options: StepOptions<Ids> = {}): WorkflowBuilder<Ids | Id> {
    return this.#add<Id>(withOptions({ id, task }, options));
  }

  /** Adds a durable sleep: `{durationMs}` or `{until: '<CEL timestamp>'}`. */
  sleep<Id extends string>(id: Id, options: SleepOptions<Ids>): WorkflowBuilder<Ids | Id> {
    return this.#add<Id>(withOptions({ id, type: 'sleep' }, options));
  }

  /** Adds a step that waits for the signal `signal`; its payload becomes the step's output. */
  wait<Id extends string>(id: Id, signal: string, options: WaitOptions<Ids> = {}): WorkflowBuilder<Ids | Id> {
    return this.#add<Id>(withOptions({ id, type: 'wait', signal }, options));
  }

  /** Adds a step that runs the workflow `workflow` as a child run; its output becomes the step's output. */
  child<Id extends string>(id: Id, workflow: string, options: ChildOptions<Ids> = {}): WorkflowBuilder<Ids | Id> {
    return this.#add<Id>(withOptions({ id, type: 'workflow', workflow }, options));
  }

  #add<Id extends string>(step: StepDefinition): WorkflowBuilder<Ids | Id> {
    return new WorkflowBuilder<Ids | Id>(this.#head, [...this.#steps, step]);
  }

  /** The run's output, templated like step inputs. */
  output(output: unknown): WorkflowBuilder<Ids> {
    return new WorkflowBuilder<Ids>({ ...this.#head, output }, this.#steps);
  }

  /** At most `limit` runs with the same value of `key` (CEL over `input` and `run`) at once. */
  concurrency(concurrency: ConcurrencySpec): WorkflowBuilder<Ids> {
    return new WorkflowBuilder<Ids>({ ...this.#head, concurrency }, this.#steps);
  }

  /** The validated definition; throws OrchError ORCH_INVALID_DEFINITION like parseDefinition. */
  build(): WorkflowDefinition {
    const { name, description, output, concurrency } = this.#head;
    const def: WorkflowDefinition = { name, steps: structuredClone([...this.#steps]) };
    if (description !== undefined) def.description = description;
    if (concurrency !== undefined) def.concurrency = { ...concurrency };
    if (output !== undefined) def.output = structuredClone(output);
    return parseDefinition(def);
  }
}

export function workflow(name: string, options: { description?: string } = {}): WorkflowBuilder {
  return new WorkflowBuilder(options.description === undefined ? { name } : { name, description: options.description });
}
