/**
 * The OpenTelemetry span of a `workflow` step: it starts when the parent starts its child run, as
 * a child of the parent run's trace context, and ends when the child's outcome reaches the
 * parent. Its context travels as headers on the StartChildRun record, and the child run keeps
 * those as its own trace context, so every task of the child (and of its children) is a span
 * under this one, in the parent's trace.
 *
 * The span lives in the memory of the orchestrator that started it. When the partition moves or
 * the process stops first, it is ended then, marked `orch.step.handed_over`: the child's spans
 * still hang under it, and the step's end is in the run's events. Only the API is used: without a
 * registered SDK every call is a no-op and no header is written.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { ChildRunEnded, StartChildRun } from '@orchestrator-lite/core';

// Looked up per span: a tracer bound once would keep a provider that was replaced (tests).
const tracer = () => trace.getTracer('@orchestrator-lite/orchestrator');

const keyOf = (runId: string, stepId: string): string => `${runId}\u0000${stepId}`;

export class ChildStepSpans {
  readonly #open = new Map<string, { span: Span; childRunId: string }>();

  /**
   * Starts the span of the step that `command` starts, under the parent run's `runTrace`, and
   * returns its context as record headers (undefined when tracing is off).
   */
  start(command: StartChildRun, attempt: number | undefined, runTrace: Record<string, string> | undefined): Record<string, string> | undefined {
    const parent = propagation.extract(ROOT_CONTEXT, runTrace ?? {});
    const span = tracer().startSpan(
      `workflow ${command.workflow}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'orch.run_id': command.parentRunId,
          'orch.step_id': command.parentStepId,
          ...(attempt === undefined ? {} : { 'orch.attempt': attempt }),
          'orch.workflow': command.workflow,
          'orch.child_run_id': command.runId,
        },
      },
      parent,
    );
    const key = keyOf(command.parentRunId, command.parentStepId);
    // A replayed start of the same step: the span it replaces ends here.
    this.#open.get(key)?.span.end();
    this.#open.set(key, { span, childRunId: command.runId });
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(parent, span), headers);
    return Object.keys(headers).length > 0 ? headers : undefined;
  }

  /** The child's outcome reached the parent: its step's span ends with it. */
  ended(outcome: ChildRunEnded): void {
    const key = keyOf(outcome.runId, outcome.stepId);
    const open = this.#open.get(key);
    if (open === undefined || open.childRunId !== outcome.childRunId) return;
    this.#open.delete(key);
    open.span.setAttribute('orch.child_status', outcome.status);
    if (outcome.status !== 'SUCCEEDED') open.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error?.message ?? `child run ${outcome.status.toLowerCase()}` });
    open.span.end();
  }

  /** The parent run ended (a cancel, a failure elsewhere): the spans of its steps end too. */
  runEnded(runId: string): void {
    for (const [key, open] of this.#open) {
      if (!key.startsWith(`${runId}\u0000`)) continue;
      this.#open.delete(key);
      open.span.end();
    }
  }

  /** This orchestrator gives the runs up: every span still open ends, marked as handed over. */
  handOver(): void {
    for (const { span } of this.#open.values()) {
      span.setAttribute('orch.step.handed_over', true);
      span.end();
    }
    this.#open.clear();
  }

  get size(): number {
    return this.#open.size;
  }
}
