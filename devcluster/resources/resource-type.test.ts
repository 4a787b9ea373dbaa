import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration } from './resource-type.ts';
import { compileJsonPath, evaluateJsonPath } from '../logic/jsonpath.ts';

test('ages are humanised exactly like kubectl/apimachinery', () => {
  const s = 1000;
  const cases: Array<[number, string]> = [
    [-500, '0s'],
    [0, '0s'],
    [119 * s, '119s'],
    [120 * s, '2m'],
    [185 * s, '3m5s'],
    [11 * 60 * s, '11m'],
    [3 * 3600 * s + 60 * s, '3h1m'],
    [10 * 3600 * s, '10h'],
    [50 * 3600 * s, '2d2h'],
    [400 * 86400 * s, '400d'],
    [3 * 365 * 86400 * s + 86400 * s, '3y1d'],
    [9 * 365 * 86400 * s, '9y'],
  ];
  for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, String(ms));
});

test('printer-column JSONPath: fields, indexes, filters', () => {
  const obj = {
    status: {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'Synced', status: 'False' },
      ],
    },
    spec: { 'a.b': 1, list: [1, 2, 3] },
  };
  const at = (p: string) => evaluateJsonPath(compileJsonPath(p), obj);
  assert.deepEqual(at('.status.conditions[?(@.type=="Ready")].status'), ['True']);
  assert.deepEqual(at(".spec['a.b']"), [1]);
  assert.deepEqual(at('.spec.list[-1]'), [3]);
  assert.deepEqual(at('.spec.list[*]'), [1, 2, 3]);
  assert.deepEqual(at('.spec.missing'), []);
  assert.throws(() => compileJsonPath('.spec[?(bad)]'), /unsupported filter/);
});
