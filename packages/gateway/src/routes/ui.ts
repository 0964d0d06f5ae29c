/**
 * Serves the UI build when `uiDir` is set: files from the folder, and `index.html` for any other
 * GET that is neither under `/api/` nor under `/assets/` (the SPA's client-side routes). A missing
 * hashed asset is a real 404, never the SPA page.
 */
import { existsSync, statSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** True when `uiDir` exists and is a folder. */
export function uiAvailable(uiDir: string | undefined): uiDir is string {
  return uiDir !== undefined && existsSync(uiDir) && statSync(uiDir).isDirectory();
}

export function isSpaPath(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0] ?? '';
  return !path.startsWith('/api/') && path !== '/api' && !path.startsWith('/assets/') && !/^\/(healthz|readyz|metrics)$/.test(path);
}

/** The SPA fallback, called from the not-found handler. */
export function sendSpaIndex(reply: FastifyReply): FastifyReply {
  return reply.type('text/html; charset=utf-8').sendFile('index.html');
}
