/**
 * Sets up the gateway's thread under `orch start` (gateway's `startGatewayThread` imports it there):
 * the process's kind of log lines, and tracing when it is configured, since a thread has its own.
 */
import type { GatewayThreadSetup } from '@orchestrator-lite/gateway';
import { createLogger } from './logger.js';
import { startTelemetry } from './telemetry.js';

export interface GatewayThreadSetupData {
  logLevel: string;
  /** The process's choice: a thread's stdout is never a terminal. */
  pretty: boolean;
}

export function setupGatewayThread(data: GatewayThreadSetupData): GatewayThreadSetup {
  const telemetry = startTelemetry({ serviceName: 'orchestrator-lite-start' });
  const logger = createLogger(data.logLevel, data.pretty).child({ role: 'gateway' });
  return telemetry === undefined ? { logger } : { logger, close: () => telemetry.shutdown() };
}
