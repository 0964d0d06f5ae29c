#!/usr/bin/env node
/**
 * Renders default.conf.template into a complete nginx.conf (the same substitution the official
 * image does with envsubst), for running Debian's nginx directly:
 *   node deploy/nginx/render.mjs > /tmp/nginx.conf && nginx -c /tmp/nginx.conf -p /tmp/
 * Variables come from the environment (see the template); unset ones take the defaults below.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const DEFAULTS = {
  ORCH_GATEWAY_UPSTREAM: '127.0.0.1:8080',
  ORCH_CORS_ORIGINS: 'https?://localhost(:[0-9]+)?|https?://127\\.0\\.0\\.1(:[0-9]+)?',
  ORCH_UI_LISTEN: '127.0.0.1:8081',
  ORCH_UI_ROOT: resolve(here, '../../packages/ui/dist'),
};

/** The server block, with `${VAR}` replaced; throws naming any variable left without a value. */
export function renderServer(vars = {}) {
  const values = { ...DEFAULTS, ...vars };
  const template = readFileSync(join(here, 'default.conf.template'), 'utf8');
  // Several gateways: `host:port,host:port` becomes one upstream server line each.
  const upstream = String(values.ORCH_GATEWAY_UPSTREAM ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const withServers = upstream.length > 1 ? template.replace('    server ${ORCH_GATEWAY_UPSTREAM};', upstream.map((u) => `    server ${u};`).join('\n')) : template;
  return withServers.replace(/\$\{(ORCH_[A-Z_]+)\}/g, (_, name) => {
    const v = values[name];
    if (v === undefined || v === '') throw new Error(`nginx template: ${name} has no value`);
    return v;
  });
}

/** A complete, foreground nginx.conf whose pid, logs and temp files live under the prefix (-p). */
export function renderNginxConf(vars = {}) {
  return `# Rendered from deploy/nginx/default.conf.template by deploy/nginx/render.mjs.
daemon off;
worker_processes 1;
pid nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    types { application/javascript mjs; }
    access_log off;
    sendfile on;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;

${renderServer(vars).replace(/^/gm, '    ')}
}
`;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const vars = Object.fromEntries(Object.keys(DEFAULTS).filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
  process.stdout.write(renderNginxConf(vars));
}
