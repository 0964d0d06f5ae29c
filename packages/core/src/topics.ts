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
  /** The task topic of one queue. */
  tasks(queue: string): string;
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
    tasks: (queue: string) => `${prefix}tasks.${queue}`,
  };
}
