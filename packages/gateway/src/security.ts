/**
 * The gateway's edge security: CORS, per-client rate limits and bearer-token auth with scopes.
 *
 * One `onRequest` hook does, in this order:
 * 1. skip `OPTIONS` (CORS preflight is answered by @fastify/cors before us) and the health probes;
 *    refuse a foreign `Host`, a foreign `Origin` on a write or WebSocket handshake, and a write
 *    with a content type a page may send cross-origin unasked (`origin-guard.ts`);
 * 2. identify the caller from `Authorization: Bearer` (or `?access_token=` on the WebSocket);
 * 3. rate-limit by token name, or by client IP when there is no valid token: a wrong token is
 *    counted against its IP, so guessing tokens is throttled too;
 * 4. enforce: 401 without a valid token, 403 when a `read` token calls a write route.
 *
 * Doing 2–4 in one hook fixes their order regardless of plugin registration, and runs before the
 * body is read, so an unauthenticated client cannot make the gateway parse a large body.
 */
import fastifyCors from '@fastify/cors';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, OrchError } from '@orchestrator-lite/core';
import type { GatewayConfig } from './options.js';
import type { Logger } from 'pino';
import { isUpgrade, OriginGuard } from './origin-guard.js';
import { allows, isLoopbackHost, secretEquals, TokenStore } from './tokens.js';
import type { Principal, TokenScope } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, when auth is on and its token matched; null otherwise. */
    principal: Principal | null;
  }
}

/** Never authenticated nor rate-limited: orchestration platforms probe them constantly. */
export const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);
/** The one route that also takes `?access_token=`, since browsers cannot set headers on a WebSocket. */
export const STREAM_PATH = '/api/v1/stream';
const REALM = 'Bearer realm="orchestrator-lite"';

export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** The URL without the value of `access_token`, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&]*/g, '$1[redacted]');
}

type Presented = { kind: 'none' } | { kind: 'malformed' } | { kind: 'token'; token: string };

function presentedToken(request: FastifyRequest, path: string): Presented {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
    return match?.[1] === undefined ? { kind: 'malformed' } : { kind: 'token', token: match[1] };
  }
  if (path === STREAM_PATH && request.method === 'GET') {
    const value = (request.query as Record<string, unknown> | undefined)?.access_token;
    if (typeof value === 'string' && value.length > 0) return { kind: 'token', token: value };
    if (value !== undefined) return { kind: 'malformed' };
  }
  return { kind: 'none' };
}

function unauthorized(reply: FastifyReply, presented: Presented, where: string): OrchError {
  if (presented.kind === 'none') {
    reply.header('www-authenticate', REALM);
    return new OrchError(ErrorCode.Unauthorized, `authentication required: send Authorization: Bearer <token>${where}`, { field: 'authorization' });
  }
  reply.header('www-authenticate', `${REALM}, error="invalid_token"`);
  const message = presented.kind === 'malformed' ? 'the credentials are malformed: expected Authorization: Bearer <token>' : 'the bearer token is not valid';
  return new OrchError(ErrorCode.Unauthorized, message, { field: 'authorization' });
}

/** A guarded request's token names a principal whose scope allows the method, or a 401 or 403. */
function requireScope(request: FastifyRequest, reply: FastifyReply, presented: Presented, path: string): void {
  const principal = request.principal;
  if (principal === null) {
    throw unauthorized(reply, presented, path === STREAM_PATH ? ' (or ?access_token=<token> on the WebSocket)' : '');
  }
  const needed = scopeFor(request.method);
  if (!allows(principal.scope, needed)) {
    throw new OrchError(ErrorCode.Forbidden, `token ${JSON.stringify(principal.name)} has scope ${principal.scope}; ${request.method} ${path.slice(0, 200)} needs ${needed}`, {
      scope: principal.scope,
      required: needed,
    });
  }
}

/** GET and HEAD read; every other method changes something. */
export function scopeFor(method: string): TokenScope {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

export async function registerSecurity(app: FastifyInstance, config: GatewayConfig): Promise<void> {
  app.decorateRequest('principal', null);

  if (config.corsOrigins.length > 0) {
    const any = config.corsOrigins.includes('*');
    const allowed = new Set(config.corsOrigins);
    await app.register(fastifyCors, {
      // `false` for any other origin turns CORS off for that request entirely: no headers at all,
      // not even Allow-Methods on a preflight, which then falls through to a plain 404.
      origin: (origin, callback) => {
        if (origin !== undefined && (any || allowed.has(origin))) callback(null, any ? '*' : origin);
        else callback(null, false);
      },
      methods: ['GET', 'HEAD', 'PUT', 'POST'],
      allowedHeaders: ['authorization', 'content-type'],
      exposedHeaders: ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
      maxAge: 600,
    });
  }

  let limit: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined;
  if (config.rateLimitPerMinute > 0) {
    const max = config.rateLimitPerMinute;
    await app.register(fastifyRateLimit, { global: false });
    const handler = app.rateLimit({
      max,
      timeWindow: 60_000,
      keyGenerator: (request) => (request.principal === null ? `ip:${request.ip}` : `token:${request.principal.name}`),
      errorResponseBuilder: (_request, context) =>
        new OrchError(ErrorCode.RateLimited, `rate limit of ${max} requests per minute exceeded; retry in ${context.after}`, {
          limit: max,
          retryAfterSeconds: Math.ceil(context.ttl / 1000),
        }),
    });
    limit = async (request, reply) => {
      await handler.call(app, request, reply);
    };
  }

  const store = new TokenStore(config.tokens);
  const authOn = store.size > 0;
  const metricsToken = config.metricsToken;
  const guard = new OriginGuard(config);

  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'OPTIONS') return;
    const path = pathOf(request.url);
    if (OPEN_PATHS.has(path)) return;
    guard.checkHost(request);
    const writes = scopeFor(request.method) === 'write';
    if (writes || isUpgrade(request)) guard.checkOrigin(request);
    if (writes) guard.checkContentType(request);
    const guarded = authOn && path.startsWith('/api/');
    const presented = guarded || path === '/metrics' ? presentedToken(request, path) : ({ kind: 'none' } as Presented);
    if (guarded && presented.kind === 'token') request.principal = store.match(presented.token) ?? null;

    if (limit !== undefined) await limit(request, reply);

    if (path === '/metrics' && metricsToken !== undefined) {
      if (presented.kind !== 'token' || !secretEquals(presented.token, metricsToken)) throw unauthorized(reply, presented, ' (the metrics token)');
      return;
    }
    if (guarded) requireScope(request, reply, presented, path);
  });
}

/**
 * One startup line about authentication. Running without tokens on a non-loopback interface
 * (allowed only with `allowInsecure`) is a loud warning that says exactly what is exposed.
 */
export function logSecurityPosture(config: GatewayConfig, logger: Pick<Logger, 'warn' | 'info'>): void {
  const posture = { host: config.host, tokens: config.tokens.length, rateLimitPerMinute: config.rateLimitPerMinute, corsOrigins: config.corsOrigins, metricsProtected: config.metricsToken !== undefined };
  if (config.tokens.length > 0) {
    logger.info(posture, `API authentication is on (${config.tokens.length} token${config.tokens.length === 1 ? '' : 's'})`);
  } else if (!isLoopbackHost(config.host)) {
    logger.warn(
      { ...posture, insecure: true },
      `SECURITY WARNING: API AUTHENTICATION IS OFF and the gateway listens on ${config.host}, which is not loopback. ` +
        'Anyone who can reach this port can register workflows, start, cancel and retry runs and read every run. ' +
        'This was allowed by ORCH_ALLOW_INSECURE=1; configure ORCH_API_TOKENS to turn authentication on.',
    );
  }
}
