/**
 * API tokens: parsing (`name:scope:token` lists), the loopback test that decides whether the
 * gateway may run without them, and a constant-time lookup.
 *
 * Tokens are kept only as SHA-256 digests. A presented token is hashed and compared with every
 * configured digest with `timingSafeEqual`, without stopping at the first match, so neither the
 * comparison nor the loop reveals how much of a token was right or which entry matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export const TOKEN_SCOPES = ['read', 'write'] as const;
/** `write` implies `read`. */
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface ApiToken {
  /** Shown in logs and used as the rate-limit key; never the secret. */
  name: string;
  scope: TokenScope;
  /** The secret a client sends as `Authorization: Bearer <token>`. At least 16 characters. */
  token: string;
}

/** Who made a request, once its token matched. */
export interface Principal {
  name: string;
  scope: TokenScope;
}

export const MIN_TOKEN_LENGTH = 16;
const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

export interface TokenIssue {
  field: string;
  message: string;
}

/** A problem of one entry of a token list: its position and field, and what is wrong. */
export interface TokenEntryIssue {
  path: [number, keyof ApiToken];
  message: string;
}

/** Checks a token list; every problem is returned, each at its entry's field. Never echoes a secret. */
export function apiTokenIssues(tokens: readonly ApiToken[]): TokenEntryIssue[] {
  const issues: TokenEntryIssue[] = [];
  const names = new Set<string>();
  const secrets = new Set<string>();
  tokens.forEach((entry, i) => {
    if (typeof entry.name !== 'string' || !NAME_PATTERN.test(entry.name)) {
      issues.push({ path: [i, 'name'], message: 'must be 1 to 64 letters, digits, ".", "_" or "-"' });
    } else if (names.has(entry.name)) {
      issues.push({ path: [i, 'name'], message: `duplicate token name ${JSON.stringify(entry.name)}` });
    } else names.add(entry.name);
    if (!(TOKEN_SCOPES as readonly string[]).includes(entry.scope)) {
      issues.push({ path: [i, 'scope'], message: `must be one of ${TOKEN_SCOPES.join(', ')}` });
    }
    if (typeof entry.token !== 'string' || entry.token.length < MIN_TOKEN_LENGTH || !TOKEN_PATTERN.test(entry.token)) {
      issues.push({ path: [i, 'token'], message: `must be at least ${MIN_TOKEN_LENGTH} printable characters without spaces` });
    } else if (secrets.has(entry.token)) {
      issues.push({ path: [i, 'token'], message: 'the same secret is configured twice' });
    } else secrets.add(entry.token);
  });
  return issues;
}

/** Checks a token list; every problem is returned, each naming the entry's field (`auth.tokens[0].scope`). */
export function checkApiTokens(tokens: readonly ApiToken[], field = 'auth.tokens'): TokenIssue[] {
  return apiTokenIssues(tokens).map(({ path: [i, key], message }) => ({ field: `${field}[${i}].${key}`, message }));
}

/**
 * Parses `name:scope:token[,name:scope:token…]` (the `ORCH_API_TOKENS` format). The token is
 * everything after the second colon, so it may itself contain colons. Throws an Error listing
 * every bad entry by position, never echoing a secret.
 */
export function parseApiTokens(text: string, field = 'ORCH_API_TOKENS'): ApiToken[] {
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const tokens: ApiToken[] = [];
  const problems: string[] = [];
  entries.forEach((entry, i) => {
    const first = entry.indexOf(':');
    const second = first < 0 ? -1 : entry.indexOf(':', first + 1);
    if (first < 0 || second < 0) {
      problems.push(`${field}[${i}]: expected name:scope:token`);
      return;
    }
    tokens.push({ name: entry.slice(0, first), scope: entry.slice(first + 1, second) as TokenScope, token: entry.slice(second + 1) });
  });
  for (const issue of checkApiTokens(tokens, field)) problems.push(`${issue.field}: ${issue.message}`);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return tokens;
}

/** True for `localhost`, 127.0.0.0/8, `::1` and IPv4-mapped loopback: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) !== 6) return false;
  // The URL parser canonicalizes IPv6 (0:0:0:0:0:0:0:1 → ::1, ::ffff:127.0.0.1 → ::ffff:7f00:1).
  const canonical = new URL(`http://[${h}]/`).hostname.slice(1, -1);
  return canonical === '::1' || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(canonical);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Matches presented secrets against the configured ones in constant time. */
export class TokenStore {
  private readonly entries: { digest: Buffer; principal: Principal }[];

  constructor(tokens: readonly ApiToken[]) {
    this.entries = tokens.map((t) => ({ digest: digest(t.token), principal: Object.freeze({ name: t.name, scope: t.scope }) }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The principal whose token equals `presented`, or undefined. Examines every entry. */
  match(presented: string): Principal | undefined {
    const candidate = digest(presented);
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, candidate) && found === undefined) found = entry.principal;
    }
    return found;
  }
}

/** Whether `scope` may call a route that needs `needed`. */
export function allows(scope: TokenScope, needed: TokenScope): boolean {
  return scope === 'write' || needed === 'read';
}

/** Constant-time equality of two secrets (for the single metrics token). */
export function secretEquals(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}
