export { loadConfig, configSchema, ENV, ConfigError } from './config.js';
export type { Config, ConfigInput } from './config.js';
export { demoTasks } from './demo/tasks.js';
export { demoWorkflows } from './demo/workflows.js';
