import { encodeMessage } from '@orchestrator-lite/core';
import type { ReduceResult, RunInput, TaskCompleted, TaskFailed } from '@orchestrator-lite/core';

/**
 * The largest record the orchestrator produces. Kafka refuses a record batch over the broker's
 * `message.max.bytes` (1 MiB by default), and a commit that carries a refused record can never
 * succeed: it would be retried forever and stop the partition. So a transition that would write
 * a bigger record is never applied as is.
 */
export const DEFAULT_MAX_RECORD_BYTES = 1_000_000;

/** A transition's outputs, each encoded once: the size check and the produce share the bytes. */
export interface EncodedOutputs {
  events: Buffer[];
  tasks: Buffer[];
  control: Buffer[];
  commands: Buffer[];
  /**
   * The size of the largest. Its events and tasks bound its snapshot parts: an output or input
   * part carries the same value as the event that carried it in.
   */
  largest: number;
}

export function encodeOutputs(result: ReduceResult): EncodedOutputs {
  let largest = 0;
  const encode = (list: readonly object[]): Buffer[] =>
    list.map((m) => {
      const bytes = encodeMessage(m);
      if (bytes.length > largest) largest = bytes.length;
      return bytes;
    });
  const events = encode(result.events);
  const tasks = encode(result.tasks);
  const control = encode(result.control);
  const commands = encode(result.commands);
  return { events, tasks, control, commands, largest };
}

/**
 * The non-retryable failure of its step that replaces a completion the orchestrator cannot apply
 * as is (its output too large to write, or a payload it reads unreadable).
 */
export function failedCompletion(input: TaskCompleted, type: string, reason: string): TaskFailed {
  const { output: _output, type: _type, ...rest } = input;
  return { ...rest, type: 'TaskFailed', error: { type, message: `step "${input.stepId}" attempt ${input.attempt}: ${reason}`, nonRetryable: true } };
}

/** The failure that replaces a completion whose output cannot be written. */
export function oversizedCompletion(input: TaskCompleted, bytes: number, limit: number): TaskFailed {
  return failedCompletion(input, 'ORCH_PAYLOAD_TOO_LARGE', `its output would make a record of ${bytes} bytes, over the limit of ${limit}`);
}

export function isCompletion(input: RunInput): input is TaskCompleted {
  return input.type === 'TaskCompleted';
}
