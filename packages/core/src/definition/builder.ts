/**
 * A typed builder for definitions in TypeScript:
 *
 *   workflow('orders.ship')
 *     .step('fetch', 'http.get', { input: { url: '${input.url}' } })
 *     .step('save', 'db.put', { dependsOn: ['fetch'], input: { body: '${steps.fetch.output}' } })
 *     .build();
 *
 * Each `.step()` returns a new builder whose type remembers the ids declared so far, so that
 * `dependsOn` only accepts earlier ids. `build()` validates like parseDefinition.
 */
import type { RetryPolicy, StepDefinition, WorkflowDefinition } from './types.js';
import { parseDefinition } from './validate.js';

export interface StepOptions<Prev extends string> {
  /** Ids of earlier steps that must succeed first. */
  dependsOn?: readonly Prev[];
  input?: unknown;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  heartbeatTimeoutMs?: number;
  queue?: string;
}

export class WorkflowBuilder<Ids extends string = never> {
  readonly #name: string;
  readonly #description: string | undefined;
  readonly #steps: readonly StepDefinition[];
  readonly #output: unknown;

  constructor(name: string, description?: string, steps: readonly StepDefinition[] = [], output?: unknown) {
    this.#name = name;
    this.#description = description;
    this.#steps = steps;
    this.#output = output;
  }

  /** Adds a step; returns a new builder (this one is unchanged). */
  step<Id extends string>(id: Id, task: string, options: StepOptions<Ids> = {}): WorkflowBuilder<Ids | Id> {
    const step: StepDefinition = { id, task };
    if (options.dependsOn !== undefined) step.dependsOn = [...options.dependsOn];
    if (options.input !== undefined) step.input = options.input;
    if (options.retry !== undefined) step.retry = { ...options.retry };
    if (options.timeoutMs !== undefined) step.timeoutMs = options.timeoutMs;
    if (options.heartbeatTimeoutMs !== undefined) step.heartbeatTimeoutMs = options.heartbeatTimeoutMs;
    if (options.queue !== undefined) step.queue = options.queue;
    return new WorkflowBuilder<Ids | Id>(this.#name, this.#description, [...this.#steps, step], this.#output);
  }

  /** The run's output, templated like step inputs. */
  output(output: unknown): WorkflowBuilder<Ids> {
    return new WorkflowBuilder<Ids>(this.#name, this.#description, this.#steps, output);
  }

  /** The validated definition; throws OrchError ORCH_INVALID_DEFINITION like parseDefinition. */
  build(): WorkflowDefinition {
    const def: WorkflowDefinition = { name: this.#name, steps: structuredClone([...this.#steps]) };
    if (this.#description !== undefined) def.description = this.#description;
    if (this.#output !== undefined) def.output = structuredClone(this.#output);
    return parseDefinition(def);
  }
}

export function workflow(name: string, options: { description?: string } = {}): WorkflowBuilder {
  return new WorkflowBuilder(name, options.description);
}
