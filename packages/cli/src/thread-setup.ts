/**
 * Sets up a role's thread under `orch start` (the gateway's `startGatewayThread` and the
 * orchestrator's `startOrchestratorThread` import it there): the process's kind of log lines, and
 * tracing when it is configured, since a thread has its own.
 */
import type { Logger } from 'pino';
import type { GatewayThreadSetup } from '@orchestrator-lite/gateway';
import type { OrchestratorThreadSetup } from '@orchestrator-lite/orchestrator';
import type { RoleThreadSetup } from '@orchestrator-lite/transport/role-thread';
import { createLogger } from './logger.js';
import { startTelemetry } from './telemetry.js';

export interface ThreadSetupData {
  logLevel: string;
  /** The process's choice: a thread's stdout is never a terminal. */
  pretty: boolean;
}

function setupRoleThread(role: 'gateway' | 'orchestrator', data: ThreadSetupData): RoleThreadSetup<Logger> {
  const telemetry = startTelemetry({ serviceName: 'orchestrator-lite-start' });
  const logger = createLogger(data.logLevel, data.pretty).child({ role });
  return telemetry === undefined ? { logger } : { logger, close: () => telemetry.shutdown() };
}

export const setupGatewayThread = (data: ThreadSetupData): GatewayThreadSetup => setupRoleThread('gateway', data);
export const setupOrchestratorThread = (data: ThreadSetupData): OrchestratorThreadSetup => setupRoleThread('orchestrator', data);
