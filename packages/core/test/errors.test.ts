import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_REGISTRY, ErrorCode, OrchError, toErrorBody, httpStatusOf } from '../src/index.js';

void test('every ErrorCode is in the registry with a description and a 4xx/5xx status', () => {
  assert.deepEqual(Object.keys(ERROR_REGISTRY).sort(), Object.values(ErrorCode).sort());
  for (const code of Object.values(ErrorCode)) {
    const entry = ERROR_REGISTRY[code];
    assert.ok(entry.description.trim().length > 0, `${code} has a description`);
    assert.ok(entry.httpStatus >= 400 && entry.httpStatus <= 599, `${code} status ${entry.httpStatus}`);
    assert.equal(typeof entry.retryable, 'boolean');
  }
});

void test('bad-request codes never map to a 5xx', () => {
  for (const code of [ErrorCode.BadRequest, ErrorCode.Validation, ErrorCode.NotFound, ErrorCode.Conflict, ErrorCode.PayloadTooLarge, ErrorCode.InvalidDefinition]) {
    assert.ok(ERROR_REGISTRY[code].httpStatus < 500, code);
  }
  assert.equal(ERROR_REGISTRY[ErrorCode.InvalidDefinition].httpStatus, 422);
  assert.equal(ERROR_REGISTRY[ErrorCode.PayloadTooLarge].httpStatus, 413);
});

void test('OrchError fields are enumerable own properties that survive JSON', () => {
  const err = new OrchError(ErrorCode.NotFound, 'no such run', { runId: 'r1' });
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'OrchError');
  const json = JSON.parse(JSON.stringify(err)) as Record<string, unknown>;
  assert.deepEqual(json, { code: 'ORCH_NOT_FOUND', httpStatus: 404, retryable: false, details: { runId: 'r1' } });
  assert.equal(httpStatusOf(err), 404);
});

void test('OrchError without details has no details key', () => {
  const err = new OrchError(ErrorCode.RateLimited, 'slow down');
  assert.equal(Object.hasOwn(err, 'details'), false);
  assert.equal(err.retryable, true);
  assert.equal(err.httpStatus, 429);
});

void test('toErrorBody builds the REST shape and hides non-OrchErrors behind ORCH_INTERNAL', () => {
  assert.deepEqual(toErrorBody(new OrchError(ErrorCode.Conflict, 'taken', { key: 'k' })), {
    error: { code: 'ORCH_CONFLICT', message: 'taken', details: { key: 'k' } },
  });
  assert.deepEqual(toErrorBody(new OrchError(ErrorCode.Conflict, 'taken')), { error: { code: 'ORCH_CONFLICT', message: 'taken' } });
  assert.deepEqual(toErrorBody(new TypeError('x is undefined')), { error: { code: 'ORCH_INTERNAL', message: 'x is undefined' } });
  assert.equal(httpStatusOf(new Error('boom')), 500);
});
