import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Transport } from '@orchestrator-lite/transport';
import type { WriteStatsSource } from '@orchestrator-lite/gateway';
import type { OrchestratorHandle, OrchestratorThreadHandle } from '@orchestrator-lite/orchestrator';
import type { Config } from '../config.js';
import { announceGateway } from '../gateway-address.js';
import { createLogger } from '../logger.js';
import { closeOnSignals, registerDemoWorkflows, runDemoWorker, runGateway, runGatewayThread, runOrchestrator, runOrchestratorThread } from '../roles.js';
import { startTelemetry } from '../telemetry.js';
import { createTransport } from '../transport.js';

export type Role = 'start' | 'gateway' | 'orchestrator' | 'worker';

/**
 * Runs one role, or every role in one process (`start`). Each role logs one line with what it
 * serves; `start` ends with the address a person should open.
 */
export async function serve(role: Role, config: Config, options: { demo: boolean }): Promise<void> {
  const logger = createLogger(config.logLevel);
  // Before any role starts, so that their tracers bind to the registered provider.
  const telemetry = startTelemetry({ serviceName: `orchestrator-lite-${role}` });
  if (telemetry) logger.info('tracing: spans exported over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT)');
  const { transport, describe } = createTransport(config);
  logger.info(`bus: ${describe}`);
  // Closed in reverse order: the transport, then the last spans.
  const closers: (() => Promise<void>)[] = [...(telemetry ? [() => telemetry.shutdown()] : []), () => transport.close()];
  closeOnSignals(logger, closers);

  // Task metrics are counted by the workers; a gateway in the same process serves them on /metrics.
  const workerMetrics: Registry[] = [];
  const threaded = threadedRole(role, config);
  // Started first, so that the thread loads the gateway's modules while the other roles start here.
  const gatewayThread = threaded?.role === 'gateway' ? runGatewayThread(config, transport, logger, workerMetrics) : undefined;
  // Awaited below, where a failure to start surfaces.
  gatewayThread?.catch(() => undefined);

  // The bus writes of roles with a Kafka client of their own, for the gateway's /metrics.
  const writesFrom: WriteStatsSource[] = [];
  const started: StartedRoles = { config, transport, logger, closers, workerMetrics, writesFrom };
  if (role === 'start' || role === 'orchestrator') await startOrchestratorRole(started, threaded);
  if (options.demo && (role === 'start' || role === 'worker')) await startDemoWorker(started);
  else if (role === 'worker') throw new Error('`orch worker` without --demo has no tasks: write a worker with the SDK (see the README), or pass --demo');
  if (role === 'start' || role === 'gateway') {
    const gateway = gatewayThread === undefined ? await runGateway(config, transport, logger, workerMetrics, writesFrom) : await gatewayThread;
    await announce(started, gateway, role === 'start', options.demo);
  }
}

/** What the roles of one process share: the bus, the log, what closes on a signal, and the metrics the gateway serves. */
interface StartedRoles {
  config: Config;
  transport: Transport;
  logger: Logger;
  closers: (() => Promise<void>)[];
  workerMetrics: Registry[];
  writesFrom: WriteStatsSource[];
}

async function startOrchestratorRole({ config, transport, logger, closers, writesFrom }: StartedRoles, threaded: ReturnType<typeof threadedRole>): Promise<void> {
  let where = '';
  let orchestrator: OrchestratorHandle | OrchestratorThreadHandle;
  if (threaded?.role === 'orchestrator') {
    orchestrator = await runOrchestratorThread(config, threaded.brokers, logger);
    writesFrom.push(orchestrator);
    where = ', on a thread of its own with its own Kafka client';
  } else {
    orchestrator = await runOrchestrator(config, transport, logger);
  }
  closers.push(() => orchestrator.close());
  logger.info(`orchestrator ${orchestrator.instanceId} running (topics ${config.topicPrefix}*, ${orchestrator.partitions} partition${orchestrator.partitions === 1 ? '' : 's'}${where})`);
}

async function startDemoWorker({ config, transport, logger, closers, workerMetrics }: StartedRoles): Promise<void> {
  const worker = await runDemoWorker(config, transport, logger);
  workerMetrics.push(worker.metrics);
  closers.push(() => worker.close());
  logger.info(`worker ${worker.workerId} running the demo tasks (concurrency ${config.concurrency})`);
}

/** The gateway's startup line, the demo's workflows, the address `orch run` finds, and where a person should look. */
async function announce({ config, logger, closers }: StartedRoles, gateway: { url: string; close(): Promise<void> }, everyRole: boolean, demo: boolean): Promise<void> {
  closers.push(() => gateway.close());
  logger.info(`gateway listening on ${gateway.url} (REST ${gateway.url}/api/v1, live stream ws${gateway.url.slice(4)}/api/v1/stream)`);
  if (everyRole && demo) await registerDemoWorkflows(config, gateway.url, logger);
  // Lets `orch run` in another shell find this gateway whatever PORT it listens on.
  if (config.kafkaBrokers === undefined) {
    const withdraw = announceGateway(config.dataDir, gateway.url);
    closers.push(async () => withdraw());
  }
  if (everyRole) logger.info(`Orchestrator-lite is ready: open ${gateway.url.replace('127.0.0.1', 'localhost')}`);
}

/**
 * The role `orch start` gives a thread of its own, and with it the machine's other core: on the
 * embedded bus the gateway; on Kafka the orchestrator, with a Kafka client of its own (the gateway
 * on a thread measured slower there: bench/where-the-time-went.md). A role run alone keeps the
 * event loop.
 */
function threadedRole(role: Role, config: Config): { role: 'gateway' } | { role: 'orchestrator'; brokers: string[] } | undefined {
  if (role !== 'start') return undefined;
  return config.kafkaBrokers === undefined ? { role: 'gateway' } : { role: 'orchestrator', brokers: config.kafkaBrokers };
}
