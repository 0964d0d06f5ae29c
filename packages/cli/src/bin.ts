#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import type { Config, ConfigInput } from './config.js';
import type { GatewayTarget } from './commands/client.js';
import { listRuns, runCommand, showRun } from './commands/runs.js';
import { startMany } from './commands/start-many.js';
import { dlqCommand, rerunCommand, schedulesCommand, signalCommand } from './commands/ops.js';
import { serve } from './commands/serve.js';

const USAGE = `orch — Orchestrator-lite

  orch start [--port 8080] [--host 127.0.0.1] [--data-dir ./.orch-data] [--no-demo]
        every role in one process: gateway + UI, orchestrator, demo worker
        (embedded bus on local disk; on Kafka when KAFKA_BROKERS is set)
  orch gateway | orch orchestrator | orch worker --demo
        one role per process, for scaling out on Kafka
  orch run <workflow> [--input '{"x":1}'] [--version N] [--idempotency-key K] [--wait]
  orch run <workflow> --inputs runs.jsonl [--version N] [--idempotency-key K]
        a run per line (its input), started in batches; with a key, line N's run is K:N,
        so running it again starts only what had not started
  orch runs [ls] [--status S] [--workflow W] [--limit N]
  orch runs show <runId>
  orch rerun <runId> --from <step> [--input '{…}'] [--wait]
  orch signal <runId> <name> [--payload '{…}']
  orch schedules [ls] | show <name> | rm <name> | pause <name> | resume <name> | trigger <name>
  orch schedules set <name> --workflow W --cron '0 2 * * *' [--timezone Europe/Paris] [--input '{…}']
        [--overlap skip|allow|cancelPrevious] [--catchup none|last|all]
  orch dlq [ls] [--limit N] | orch dlq redrive [--ids 0-1,0-2] [--reason R] [--topic T] [--rate N]
  orch kafka up [--brokers 3] | down | status | logs
        a local Apache Kafka 4 broker, or a cluster of N broker+controller nodes on 9092, 9094, …
        (needs Java 17+ and Maven)

Client commands talk to --gateway (ORCH_GATEWAY_URL); without it, to PORT/HOST when set,
else to the gateway \`orch start\` runs from this folder (ORCH_DATA_DIR), else http://127.0.0.1:8080;
with the bearer token in ORCH_API_TOKEN when the gateway requires one.
Environment: PORT, HOST, ORCH_DATA_DIR, ORCH_READ_STORE, KAFKA_BROKERS, ORCH_TOPIC_PREFIX, ORCH_PARTITIONS,
ORCH_WORKER_CONCURRENCY, ORCH_RUN_RETENTION, ORCH_BUS_RETENTION, LOG_LEVEL (see the README).`;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  'no-demo': { type: 'boolean', default: false },
  demo: { type: 'boolean', default: false },
  concurrency: { type: 'string' },
  gateway: { type: 'string' },
  input: { type: 'string' },
  inputs: { type: 'string' },
  version: { type: 'string' },
  'idempotency-key': { type: 'string' },
  wait: { type: 'boolean', default: false },
  timeout: { type: 'string', default: '600000' },
  status: { type: 'string' },
  workflow: { type: 'string' },
  limit: { type: 'string' },
  brokers: { type: 'string' },
  from: { type: 'string' },
  payload: { type: 'string' },
  cron: { type: 'string' },
  timezone: { type: 'string' },
  overlap: { type: 'string' },
  catchup: { type: 'string' },
  ids: { type: 'string' },
  reason: { type: 'string' },
  topic: { type: 'string' },
  rate: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

/** What a command is given: its flags, the words after its name, the configuration and the gateway to talk to. */
interface CommandContext {
  values: Values;
  rest: string[];
  config: Config;
  gateway: GatewayTarget;
}

/** Each command's exit code; -1 for one that serves until it is stopped. */
type Command = (c: CommandContext) => Promise<number>;

const serveRole =
  (role: 'gateway' | 'orchestrator' | 'worker'): Command =>
  async ({ config, values }) => {
    await serve(role, config, { demo: values.demo });
    return -1;
  };

/** Only the flags that were given. */
const given = <T extends Record<string, string | undefined>>(flags: T): Record<string, string> =>
  Object.fromEntries(Object.entries(flags).filter((entry): entry is [string, string] => entry[1] !== undefined));

const COMMANDS: Record<string, Command> = {
  start: async ({ config, values }) => {
    await serve('start', config, { demo: !values['no-demo'] });
    return -1;
  },
  gateway: serveRole('gateway'),
  orchestrator: serveRole('orchestrator'),
  worker: serveRole('worker'),
  run: async ({ values, rest, gateway }) => {
    const workflow = rest[0];
    if (!workflow) throw new Error('orch run: name the workflow, e.g. `orch run diamond --input \'{"value":1}\' --wait`');
    if (values.inputs !== undefined) {
      if (values.input !== undefined || values.wait) throw new Error('orch run: --inputs starts a run per line; it takes neither --input nor --wait');
      return startMany(gateway, workflow, { inputs: values.inputs, version: values.version, idempotencyKey: values['idempotency-key'] }, (line) => process.stdout.write(`${line}\n`));
    }
    return runCommand(gateway, workflow, { input: values.input, version: values.version, idempotencyKey: values['idempotency-key'], wait: values.wait, timeoutMs: Number(values.timeout) });
  },
  runs: async ({ values, rest, gateway }) => {
    const [sub = 'ls', id] = rest;
    if (sub === 'ls') await listRuns(gateway, { status: values.status, workflow: values.workflow, limit: values.limit });
    else if (sub === 'show' && id) await showRun(gateway, id);
    else throw new Error('orch runs: use `orch runs ls` or `orch runs show <runId>`');
    return 0;
  },
  rerun: async ({ values, rest, gateway }) => {
    const runId = rest[0];
    if (!runId) throw new Error('orch rerun: name the run, e.g. `orch rerun <runId> --from ship`');
    return rerunCommand(gateway, runId, { from: values.from, input: values.input, wait: values.wait, timeoutMs: Number(values.timeout) });
  },
  signal: async ({ values, rest, gateway }) => {
    const [runId, name] = rest;
    if (!runId || !name) throw new Error('orch signal: name the run and the signal, e.g. `orch signal <runId> approval --payload \'{"ok":true}\'`');
    return signalCommand(gateway, runId, name, values.payload);
  },
  schedules: async ({ values, rest, gateway }) => {
    const [sub = 'ls', name] = rest;
    return schedulesCommand(gateway, sub, name, given({ workflow: values.workflow, cron: values.cron, timezone: values.timezone, input: values.input, overlap: values.overlap, catchup: values.catchup, version: values.version }));
  },
  dlq: async ({ values, rest, gateway }) => dlqCommand(gateway, rest[0] ?? 'ls', given({ limit: values.limit, ids: values.ids, reason: values.reason, topic: values.topic, rate: values.rate })),
  kafka: async ({ values, rest }) => {
    const script = fileURLToPath(new URL('../../../../deploy/kafka/kafka.sh', import.meta.url));
    const brokers = values.brokers === undefined ? [] : ['--brokers', values.brokers];
    return spawnSync('bash', [script, rest[0] ?? 'status', ...brokers], { stdio: 'inherit' }).status ?? 1;
  },
};

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const flags: ConfigInput = { port: values.port, host: values.host, dataDir: values['data-dir'], concurrency: values.concurrency, gatewayUrl: values.gateway };
  const config = loadConfig(flags);
  const gateway: GatewayTarget = { url: config.gatewayUrl, ...(config.apiToken ? { token: config.apiToken } : {}) };
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (run === undefined) throw new Error(`unknown command "${command}"\n\n${USAGE}`);
  return run({ values, rest, config, gateway });
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`orch: ${message}\n`);
    process.exit(error instanceof ConfigError ? 78 : 1);
  },
);
