import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatQuantity, parseQuantity, quantityProblem } from './quantity.ts';

test('quantities parse to base units: binary, decimal, milli and exponent suffixes', () => {
  const cases: Array<[unknown, number | undefined]> = [
    ['1Gi', 2 ** 30],
    ['512Mi', 512 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['250m', 0.25],
    ['2', 2],
    ['1k', 1000],
    ['1e3', 1000],
    ['5M', 5e6],
    [3, 3],
    ['', undefined],
    ['1GB', undefined],
    ['abc', undefined],
  ];
  for (const [text, value] of cases) assert.equal(parseQuantity(text), value, String(text));
  assert.match(quantityProblem('1GB') ?? '', /quantities must match/);
  assert.equal(quantityProblem('1Gi'), undefined);
});

test('quantities format canonically: binary for byte counts, milli for fractions', () => {
  assert.equal(formatQuantity(2 ** 30, 'binary'), '1Gi');
  assert.equal(formatQuantity(1536 * 2 ** 20, 'binary'), '1536Mi');
  assert.equal(formatQuantity(0.25), '250m');
  assert.equal(formatQuantity(1.5), '1500m');
  assert.equal(formatQuantity(3), '3');
  assert.equal(formatQuantity(2000), '2k');
  assert.equal(formatQuantity(0), '0');
});
