/** Topic names of one deployment. The prefix lets several deployments or tests share a cluster. */
export interface TopicNames {
  commands: string;
  results: string;
  state: string;
  events: string;
  definitions: string;
  control: string;
  dlq: string;
  /** Compacted: schedules and their firing state, keyed by schedule name. */
  schedules: string;
  /** Compacted: chunks of claim-checked payloads, keyed `<id>/<index>`. */
  payloads: string;
  /**
   * The task topic of one queue at a priority: `tasks.<queue>` for the default 2, `tasks-high.<queue>`
   * for 1 and `tasks-low.<queue>` for 3 (no queue name can make one of the others).
   */
  tasks(queue: string, priority?: number): string;
}

export const DEFAULT_TOPIC_PREFIX = 'orch.';
export const DEFAULT_QUEUE = 'default';

export function topicNames(prefix: string = DEFAULT_TOPIC_PREFIX): TopicNames {
  return {
    commands: `${prefix}commands`,
    results: `${prefix}results`,
    state: `${prefix}state`,
    events: `${prefix}events`,
    definitions: `${prefix}definitions`,
    control: `${prefix}control`,
    dlq: `${prefix}dlq`,
    schedules: `${prefix}schedules`,
    payloads: `${prefix}payloads`,
    tasks: (queue: string, priority?: number) => `${prefix}${priority === 1 ? 'tasks-high' : priority === 3 ? 'tasks-low' : 'tasks'}.${queue}`,
  };
}
