/**
 * Defences against other web pages driving the gateway through a user's browser.
 *
 * - **Host** (DNS rebinding): a page on `attacker.example` whose name is rebound to 127.0.0.1
 *   reaches the gateway with `Host: attacker.example:8080`. Only the listen address, the loopback
 *   names and configured names are accepted. A Host that is an IP literal cannot come from a
 *   rebound name, so on a wildcard listen address (`0.0.0.0`, `::`) any IP literal passes too.
 * - **Origin** (cross-site requests): a browser sends `Origin` on every cross-origin write and on
 *   every WebSocket handshake, and a WebSocket has no CORS to protect it. Such a request passes
 *   only from the same origin or one listed in `corsOrigins`. A request without `Origin` (curl,
 *   the CLI, server-to-server) is not from a web page, and passes.
 * - **Simple content types**: `text/plain` and the form encodings are the bodies a page can send
 *   cross-origin without a preflight, so a write that carries one is refused with 415.
 */
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { ErrorCode, OrchError } from '@orchestrator-lite/core';

/** Content types a browser may send cross-origin without a CORS preflight. */
export const SIMPLE_CONTENT_TYPES: ReadonlySet<string> = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

export interface OriginGuardConfig {
  readonly host: string;
  readonly allowedHosts: readonly string[];
  readonly corsOrigins: readonly string[];
}

/** The host name of a `Host` header value, lowercased, without its port; IPv6 keeps its brackets. */
export function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end < 0 ? value : value.slice(0, end + 1);
  }
  const colon = value.lastIndexOf(':');
  return colon < 0 ? value : value.slice(0, colon);
}

function bracketed(host: string): string {
  const h = host.toLowerCase();
  return isIP(h) === 6 ? `[${h}]` : h;
}

export class OriginGuard {
  private readonly names: ReadonlySet<string>;
  private readonly anyHost: boolean;
  private readonly anyIp: boolean;
  private readonly anyOrigin: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(config: OriginGuardConfig) {
    const listen = bracketed(config.host);
    this.anyHost = config.allowedHosts.includes('*');
    this.anyIp = WILDCARDS.has(listen);
    this.names = new Set([...LOOPBACK_NAMES, ...(this.anyIp ? [] : [listen]), ...config.allowedHosts.map((h) => bracketed(h))]);
    this.anyOrigin = config.corsOrigins.includes('*');
    this.origins = new Set(config.corsOrigins);
  }

  /** Throws 403 ORCH_FORBIDDEN when the Host is not one this gateway answers to. */
  checkHost(request: FastifyRequest): void {
    if (this.anyHost) return;
    const header = request.headers.host;
    const name = typeof header === 'string' ? hostName(header) : '';
    if (this.names.has(name)) return;
    if (this.anyIp && isIP(name.replace(/^\[|\]$/g, '')) !== 0) return;
    throw new OrchError(ErrorCode.Forbidden, `host ${JSON.stringify(name.slice(0, 100))} is not one this gateway answers to; add it to ORCH_ALLOWED_HOSTS`, { field: 'host' });
  }

  /**
   * For a write or a WebSocket handshake: throws 403 ORCH_FORBIDDEN when `Origin` is present and
   * is neither this gateway's own origin nor an allowed one.
   */
  checkOrigin(request: FastifyRequest): void {
    const origin = request.headers.origin;
    if (origin === undefined || this.anyOrigin || this.origins.has(origin)) return;
    if (origin !== 'null' && typeof request.headers.host === 'string') {
      try {
        if (new URL(origin).host === request.headers.host.toLowerCase()) return;
      } catch {
        // not a URL: refused below
      }
    }
    throw new OrchError(ErrorCode.Forbidden, `origin ${JSON.stringify(origin.slice(0, 100))} may not write to this gateway or open its stream; add it to ORCH_CORS_ORIGINS`, { field: 'origin' });
  }

  /** For a write: throws 415 when the body's content type is one a page may send cross-origin unasked. */
  checkContentType(request: FastifyRequest): void {
    const header = request.headers['content-type'];
    if (typeof header !== 'string') return;
    const media = (header.split(';')[0] ?? '').trim().toLowerCase();
    if (SIMPLE_CONTENT_TYPES.has(media)) {
      throw new OrchError(ErrorCode.UnsupportedMediaType, `content type ${media} is not accepted on writes; send application/json`, { field: 'content-type' });
    }
  }
}

/** A WebSocket handshake, which browsers send cross-origin without CORS. */
export function isUpgrade(request: FastifyRequest): boolean {
  const upgrade = request.headers.upgrade;
  return typeof upgrade === 'string' && upgrade.toLowerCase() === 'websocket';
}
