import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, OrchError, PayloadNeededError, checkPayloadSize, isClaimCheck, parseRef, formatRef, resolveTemplates, withPayloadResolver } from '../src/index.js';
import type { ClaimCheck } from '../src/index.js';

const claim: ClaimCheck = { $payload: { ref: '2.10.14.abc-1', bytes: 20, sha256: 'a'.repeat(64) } };
const scope = { input: { file: claim }, steps: { a: { output: claim } } };

test('a whole claim-checked value passes through a template as the claim-check', () => {
  const out = withPayloadResolver(() => assert.fail('nothing should be fetched'), () => resolveTemplates({ all: '${steps.a.output}', f: '${input.file}' }, scope));
  assert.deepEqual(out, { all: claim, f: claim });
});

test('a template that picks a field of a claim-checked value asks the resolver for it', () => {
  const asked: string[] = [];
  const out = withPayloadResolver((c) => {
    asked.push(c.$payload.ref);
    return { name: 'n', rows: [1, 2] };
  }, () => resolveTemplates({ n: '${steps.a.output.name}', r: '${input.file.rows[1]}', text: 'x=${steps.a.output}' }, scope));
  assert.deepEqual(out, { n: 'n', r: 2, text: 'x={"name":"n","rows":[1,2]}' });
  assert.deepEqual(asked, ['2.10.14.abc-1', '2.10.14.abc-1', '2.10.14.abc-1']);
});

test('without a resolver, looking inside a claim-check throws PayloadNeededError naming it', () => {
  assert.throws(() => resolveTemplates('${steps.a.output.name}', scope), (e: unknown) => e instanceof PayloadNeededError && e.claim === claim);
});

test('refs and claim-checks are recognised exactly', () => {
  assert.deepEqual(parseRef('2.10.14.abc-1'), { partition: 2, first: 10, last: 14, id: 'abc-1' });
  assert.equal(formatRef({ partition: 2, first: 10, last: 14, id: 'abc-1' }), '2.10.14.abc-1');
  assert.equal(parseRef('2.14.10.x'), undefined);
  assert.equal(parseRef('../etc'), undefined);
  assert.ok(isClaimCheck(claim));
  assert.equal(isClaimCheck({ $payload: claim.$payload, other: 1 }), false);
  assert.equal(isClaimCheck({ $payload: { ref: 'x', bytes: 1, sha256: 'nothex' } }), false);
});

test('checkPayloadSize: the bytes at the limit; over it a 413 naming the field, the size and the limit', () => {
  const value = { text: 'x'.repeat(20) };
  const size = Buffer.byteLength(JSON.stringify(value));
  assert.equal(checkPayloadSize('input', value, size).toString('utf8'), JSON.stringify(value));
  assert.throws(
    () => checkPayloadSize('runs[2].input', value, size - 1),
    (error: unknown) => {
      assert.ok(error instanceof OrchError);
      assert.equal(error.code, ErrorCode.PayloadTooLarge);
      assert.equal(error.httpStatus, 413);
      assert.deepEqual(error.details, { field: 'runs[2].input', limit: size - 1, size });
      assert.equal(error.message, `runs[2].input is ${size} bytes serialized; the limit is ${size - 1}`);
      return true;
    },
  );
});
