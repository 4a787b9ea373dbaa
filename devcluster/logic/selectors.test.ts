import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../api/errors.ts';
import {
  formatLabelSelector,
  fromLabelSelectorObject,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors.ts';

test('label selectors: equality, sets, existence, AND', () => {
  const labels = { app: 'web', tier: 'front', canary: 'true' };
  const cases: Array<[string, boolean]> = [
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app in (api, web)', true],
    ['app notin (web)', false],
    ['canary', true],
    ['!canary', false],
    ['!missing', true],
    ['app=web,tier=back', false],
    ['app=web,tier in (front)', true],
    ['missing!=x', true],
    ['', true],
  ];
  for (const [text, expected] of cases) assert.equal(matchesLabels(parseLabelSelector(text), labels), expected, text);
});

test('label selectors: malformed text is a 400 naming the selector', () => {
  for (const bad of ['a in (b', 'a=b=c', '=x', 'a,,b', 'A B']) {
    assert.throws(
      () => parseLabelSelector(bad),
      (e: unknown) => e instanceof ApiError && e.code === 400 && /unable to parse requirement/.test(e.message),
      bad,
    );
  }
});

test('structured selectors round-trip to text', () => {
  const sel = fromLabelSelectorObject({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['a', 'b'] },
      { key: 'x', operator: 'DoesNotExist' },
    ],
  });
  assert.equal(formatLabelSelector(sel), 'app=web,tier in (a,b),!x');
});

test('field selectors: supported fields only, escapes, != ', () => {
  const sel = parseFieldSelector('metadata.name=a\\,b,status.phase!=Running', ['metadata.name', 'status.phase']);
  assert.equal(
    matchesFields(sel, (f) => (f === 'metadata.name' ? 'a,b' : 'Pending')),
    true,
  );
  assert.throws(() => parseFieldSelector('spec.x=1', ['metadata.name']), /field label not supported: spec.x/);
});
