/**
 * How `orch run` and `orch runs` find the gateway: `--gateway` / `ORCH_GATEWAY_URL`; else the
 * `PORT` (and `HOST`) the shell sets; else the address a running `orch start` announced in its
 * data dir (`gateway.json`, removed on shutdown, ignored when its process is gone); else
 * http://127.0.0.1:8080. So `PORT=9000 npm start` in one terminal and `npx orch run …` in
 * another talk to each other.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8080';
export const GATEWAY_FILE = 'gateway.json';

/** The address a client dials for a listen address: a wildcard becomes loopback. */
export function clientUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' || host === '[::]' ? '127.0.0.1' : host;
  return `http://${isIP(h) === 6 ? `[${h}]` : h}:${port}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The URL announced in `dataDir`, when the process that announced it still runs. */
export function announcedGatewayUrl(dataDir: string): string | undefined {
  const file = join(dataDir, GATEWAY_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const { url, pid } = JSON.parse(readFileSync(file, 'utf8')) as { url?: unknown; pid?: unknown };
    return typeof url === 'string' && typeof pid === 'number' && alive(pid) ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `gateway.json` into `dataDir`; the returned function removes it. */
export function announceGateway(dataDir: string, url: string): () => void {
  const file = join(dataDir, GATEWAY_FILE);
  writeFileSync(file, `${JSON.stringify({ url, pid: process.pid })}\n`);
  return () => rmSync(file, { force: true });
}

export interface GatewayAddressInput {
  /** `--gateway` or `ORCH_GATEWAY_URL`. */
  gatewayUrl?: string | undefined;
  /** Whether `PORT`/`--port` or `HOST`/`--host` was given. */
  listenGiven: boolean;
  host: string;
  port: number;
  dataDir: string;
}

export function resolveGatewayUrl(input: GatewayAddressInput): string {
  if (input.gatewayUrl !== undefined) return input.gatewayUrl;
  if (input.listenGiven) return clientUrl(input.host, input.port);
  return announcedGatewayUrl(input.dataDir) ?? DEFAULT_GATEWAY_URL;
}
