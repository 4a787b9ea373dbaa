import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isAlreadyExists,
  isConflict,
  isNotFound,
  isTemporary,
  KubeApiError,
  KubeUnavailableError,
  toKubeError,
} from './errors.ts';

const apiException = (code: number, status: object) =>
  Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify(status), headers: {} });

test('an ApiException becomes a KubeApiError with the Status reason and message', () => {
  const err = toKubeError(
    'apply Deployment shop/orders',
    apiException(409, { kind: 'Status', reason: 'Conflict', message: 'the object has been modified' }),
  );
  assert.ok(err instanceof KubeApiError);
  assert.equal(err.message, 'apply Deployment shop/orders: the object has been modified');
  assert.ok(isConflict(err) && isTemporary(err) && !isAlreadyExists(err));
});

test('NotFound, AlreadyExists and Invalid are told apart; Invalid is not temporary', () => {
  assert.ok(isNotFound(toKubeError('get', apiException(404, { reason: 'NotFound', message: 'x not found' }))));
  assert.ok(isAlreadyExists(toKubeError('create', apiException(409, { reason: 'AlreadyExists', message: 'exists' }))));
  const invalid = toKubeError(
    'apply',
    apiException(422, {
      reason: 'Invalid',
      message: 'bad',
      details: { causes: [{ field: 'spec.replicas', message: 'must be >= 0' }] },
    }),
  );
  assert.equal(isTemporary(invalid), false);
  assert.deepEqual((invalid as KubeApiError).causes, [{ field: 'spec.replicas', message: 'must be >= 0' }]);
});

test('transport failures are KubeUnavailableError and temporary', () => {
  const err = toKubeError(
    'list',
    Object.assign(new Error('request to http://127.0.0.1:1/ failed, reason: connect ECONNREFUSED'), {
      name: 'FetchError',
      type: 'system',
      code: 'ECONNREFUSED',
    }),
  );
  assert.ok(err instanceof KubeUnavailableError);
  assert.ok(isTemporary(err));
});

test('a kind the server does not serve (its CRD is missing) is NotFound', () => {
  const err = toKubeError('apply WorkflowApp default/x', new Error('Unrecognized API version and kind: g/v1 X'));
  assert.ok(err instanceof KubeApiError);
  assert.equal(err.code, 404);
  assert.ok(isNotFound(err));
});
