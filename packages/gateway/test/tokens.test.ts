import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allows, checkApiTokens, isLoopbackHost, parseApiTokens, secretEquals, TokenStore } from '../src/tokens.js';

const READ = 'r'.repeat(16);
const WRITE = 'w-secret:with:colons-0123456789';

void test('parseApiTokens reads name:scope:token entries; the token may contain colons', () => {
  assert.deepEqual(parseApiTokens(` ui:read:${READ} , ci:write:${WRITE},`), [
    { name: 'ui', scope: 'read', token: READ },
    { name: 'ci', scope: 'write', token: WRITE },
  ]);
  assert.deepEqual(parseApiTokens(''), []);
});

void test('parseApiTokens lists every bad entry by position and never echoes a secret', () => {
  const secret = 'short-secret';
  assert.throws(
    () => parseApiTokens(`nocolons,a:admin:${READ},b:read:${secret},a:read:${READ}`),
    (error: Error) => {
      assert.match(error.message, /ORCH_API_TOKENS\[0\]: expected name:scope:token/);
      assert.match(error.message, /ORCH_API_TOKENS\[0\]\.scope: must be one of read, write/);
      assert.match(error.message, /ORCH_API_TOKENS\[1\]\.token: must be at least 16/);
      assert.match(error.message, /ORCH_API_TOKENS\[2\]\.name: duplicate token name "a"/);
      assert.match(error.message, /ORCH_API_TOKENS\[2\]\.token: the same secret is configured twice/);
      assert.ok(!error.message.includes(secret), 'the secret must not appear in the error');
      assert.ok(!error.message.includes(READ), 'the secret must not appear in the error');
      return true;
    },
  );
});

void test('checkApiTokens names the field of each problem', () => {
  const issues = checkApiTokens([{ name: 'bad name', scope: 'write', token: 'x'.repeat(20) }]);
  assert.deepEqual(
    issues.map((i) => i.field),
    ['auth.tokens[0].name'],
  );
  assert.equal(checkApiTokens([{ name: 'ok', scope: 'read', token: 'has space in it 123' }])[0]?.field, 'auth.tokens[0].token');
});

void test('isLoopbackHost accepts only addresses no other machine can reach', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'example.com', '128.0.0.1', '::ffff:10.0.0.1', '::2']) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});

void test('TokenStore matches the exact secret only and returns its principal', () => {
  const store = new TokenStore([
    { name: 'ui', scope: 'read', token: READ },
    { name: 'ci', scope: 'write', token: WRITE },
  ]);
  assert.equal(store.size, 2);
  assert.deepEqual(store.match(WRITE), { name: 'ci', scope: 'write' });
  assert.deepEqual(store.match(READ), { name: 'ui', scope: 'read' });
  assert.equal(store.match(READ.slice(1)), undefined);
  assert.equal(store.match(`${READ}r`), undefined);
  assert.equal(store.match(''), undefined);
  assert.equal(new TokenStore([]).match(READ), undefined);
});

void test('write implies read; read never implies write', () => {
  assert.equal(allows('write', 'write'), true);
  assert.equal(allows('write', 'read'), true);
  assert.equal(allows('read', 'read'), true);
  assert.equal(allows('read', 'write'), false);
  assert.equal(secretEquals(READ, READ), true);
  assert.equal(secretEquals(READ, WRITE), false);
});
