import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, prune, validateValue, type Schema } from './schema.ts';

const schema: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['image'],
      properties: {
        image: { type: 'string', pattern: '^[a-z]+:[0-9]+$' },
        replicas: { type: 'integer', minimum: 0, maximum: 10, default: 1 },
        mode: { type: 'string', enum: ['a', 'b'] },
        port: { 'x-kubernetes-int-or-string': true },
        tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set', maxItems: 2 },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        nested: { type: 'object', properties: { flag: { type: 'boolean', default: false } } },
      },
    },
  },
};

test('validation errors read like kube-apiserver field errors', () => {
  const errors = validateValue(
    { spec: { image: 'NOPE', replicas: -1, mode: 'c', port: 1.5, tags: ['x', 'x', 'y'] } },
    schema,
    '',
  );
  assert.deepEqual(
    errors.map((e) => `${e.field}: ${e.detail}`),
    [
      `spec.image: Invalid value: "NOPE": spec.image in body should match '^[a-z]+:[0-9]+$'`,
      'spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0',
      'spec.mode: Unsupported value: "c": supported values: "a", "b"',
      'spec.port: Invalid value: 1.5: spec.port in body must be of type integer or string: "number"',
      'spec.tags: Too many: 3: must have at most 2 items',
      'spec.tags[1]: Duplicate value: "x"',
    ],
  );
  assert.deepEqual(
    validateValue({ spec: {} }, schema, '').map((e) => `${e.field}: ${e.detail}`),
    ['spec.image: Required value'],
  );
});

test('pruning drops undeclared fields (reporting their paths) but keeps preserve-unknown subtrees', () => {
  const obj = {
    spec: { image: 'a:1', colour: 'red', extra: { anything: { goes: true } }, nested: { flag: true, stray: 1 } },
    top: 1,
  };
  assert.deepEqual(prune(obj, schema, ''), ['spec.colour', 'spec.nested.stray', 'top']);
  assert.deepEqual(obj, { spec: { image: 'a:1', extra: { anything: { goes: true } }, nested: { flag: true } } });
});

test('defaults fill absent fields at every level, never overwrite', () => {
  const obj = { spec: { image: 'a:1', replicas: 3, nested: {} } };
  applyDefaults(obj, schema);
  assert.deepEqual(obj, { spec: { image: 'a:1', replicas: 3, nested: { flag: false } } });
  const empty = { spec: { image: 'a:1' } };
  applyDefaults(empty, schema);
  assert.equal((empty.spec as { replicas?: number }).replicas, 1);
});
