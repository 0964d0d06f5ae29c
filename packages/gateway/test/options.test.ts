import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrchError } from '@orchestrator-lite/core';
import type { Transport } from '@orchestrator-lite/transport';
import { GATEWAY_DEFAULTS, resolveGatewayConfig } from '../src/options.js';
import type { GatewayOptions } from '../src/options.js';
import { logSecurityPosture } from '../src/security.js';

// resolveGatewayConfig only checks that a transport object is present; it never calls it.
const transport = {} as Transport;
const TOKENS = { tokens: [{ name: 'ci', scope: 'write' as const, token: 'c'.repeat(32) }] };

function issuesOf(options: Partial<GatewayOptions>): { field: string; message: string }[] {
  try {
    resolveGatewayConfig({ transport, ...options });
  } catch (error) {
    assert.ok(error instanceof OrchError);
    assert.equal(error.code, 'ORCH_CONFIG');
    return (error.details as { issues: { field: string; message: string }[] }).issues;
  }
  return [];
}

void test('a non-loopback host without tokens refuses to start, naming the way out', () => {
  const issues = issuesOf({ host: '0.0.0.0' });
  assert.equal(issues.length, 1);
  assert.equal(issues[0]?.field, 'auth');
  assert.match(issues[0]?.message ?? '', /0\.0\.0\.0 is not loopback.*ORCH_API_TOKENS.*ORCH_ALLOW_INSECURE=1/);
  assert.deepEqual(issuesOf({ host: '0.0.0.0', allowInsecure: true }), []);
  assert.deepEqual(issuesOf({ host: '0.0.0.0', auth: TOKENS }), []);
  assert.deepEqual(issuesOf({ host: '127.0.0.1' }), [], 'loopback without tokens is the local default');
});

void test('rate limit defaults: off for a local developer, on wherever clients are remote or authenticated', () => {
  assert.equal(resolveGatewayConfig({ transport }).rateLimitPerMinute, 0);
  assert.equal(resolveGatewayConfig({ transport, auth: TOKENS }).rateLimitPerMinute, GATEWAY_DEFAULTS.rateLimitPerMinute);
  assert.equal(resolveGatewayConfig({ transport, host: '0.0.0.0', allowInsecure: true }).rateLimitPerMinute, GATEWAY_DEFAULTS.rateLimitPerMinute);
  assert.equal(resolveGatewayConfig({ transport, rateLimitPerMinute: 30 }).rateLimitPerMinute, 30);
  assert.equal(resolveGatewayConfig({ transport, auth: TOKENS, rateLimitPerMinute: 0 }).rateLimitPerMinute, 0);
  assert.equal(resolveGatewayConfig({ transport }).maxInputBytes, 256 * 1024);
});

void test('every invalid security field is listed at once, by name', () => {
  const issues = issuesOf({
    corsOrigins: ['https://ok.example.com', 'https://bad.example.com/path', 'nope'],
    rateLimitPerMinute: -1,
    maxInputBytes: 0,
    metricsToken: 'short',
    auth: { tokens: [{ name: 'x', scope: 'admin' as 'read', token: 'x'.repeat(20) }] },
  });
  assert.deepEqual(issues.map((i) => i.field).sort(), [
    'auth.tokens[0].scope',
    'corsOrigins[1]',
    'corsOrigins[2]',
    'maxInputBytes',
    'metricsToken',
    'rateLimitPerMinute',
  ]);
  assert.ok(!JSON.stringify(issues).includes('x'.repeat(20)), 'no secret in the error');
});

function capture(): { lines: { level: string; obj: Record<string, unknown>; msg: string }[]; logger: Parameters<typeof logSecurityPosture>[1] } {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    logger: {
      warn: (obj: Record<string, unknown>, msg: string) => lines.push({ level: 'warn', obj, msg }),
      info: (obj: Record<string, unknown>, msg: string) => lines.push({ level: 'info', obj, msg }),
    } as unknown as Parameters<typeof logSecurityPosture>[1],
  };
}

void test('running insecure on a non-loopback host logs a loud warning; loopback and authenticated setups do not', () => {
  const insecure = capture();
  logSecurityPosture(resolveGatewayConfig({ transport, host: '0.0.0.0', allowInsecure: true }), insecure.logger);
  assert.equal(insecure.lines.length, 1);
  assert.equal(insecure.lines[0]?.level, 'warn');
  assert.match(insecure.lines[0]?.msg ?? '', /^SECURITY WARNING: API AUTHENTICATION IS OFF.*0\.0\.0\.0.*not loopback/);
  assert.equal(insecure.lines[0]?.obj.insecure, true);

  const local = capture();
  logSecurityPosture(resolveGatewayConfig({ transport }), local.logger);
  assert.deepEqual(local.lines, []);

  const secured = capture();
  logSecurityPosture(resolveGatewayConfig({ transport, host: '0.0.0.0', auth: TOKENS }), secured.logger);
  assert.equal(secured.lines[0]?.level, 'info');
  assert.match(secured.lines[0]?.msg ?? '', /authentication is on \(1 token\)/);
  assert.ok(!JSON.stringify(secured.lines).includes('c'.repeat(32)), 'the startup line holds no secret');
});

void test('runRetentionMs: 7 days by default, swept every quarter of it within 100 ms .. 1 min; a negative or non-finite one is refused by name', () => {
  const config = resolveGatewayConfig({ transport });
  assert.equal(config.runRetentionMs, 7 * 24 * 60 * 60 * 1000);
  assert.equal(config.runRetentionMs, GATEWAY_DEFAULTS.runRetentionMs);
  assert.equal(config.retentionSweepMs, 60_000);
  assert.equal(resolveGatewayConfig({ transport, runRetentionMs: 2_000 }).retentionSweepMs, 500);
  assert.equal(resolveGatewayConfig({ transport, runRetentionMs: 0 }).retentionSweepMs, 100);
  for (const runRetentionMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.deepEqual(
      issuesOf({ runRetentionMs }).map((i) => i.field),
      ['runRetentionMs'],
    );
  }
});
