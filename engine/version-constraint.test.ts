import assert from 'node:assert/strict';
import { test } from 'node:test';
import satisfies from 'semver/functions/satisfies.js';
import { checkConstraint } from './version-constraint.ts';

test('prereleases, 0.x carets and partial ranges follow semver, as in the registry', () => {
  const cases: Array<[string, string]> = [
    ['1.3.0-beta.1', '>=1.2.0'],
    ['1.2.0-rc.1', '^1.2.0-rc.0'],
    ['0.3.0', '^0.2.0'],
    ['0.2.9', '^0.2.0'],
    ['1.4.2', '1.x'],
    ['2.0.0', '>=1.0.0 <2.0.0'],
    ['1.0.0', '1.0.0 || 2.0.0'],
  ];
  for (const [version, range] of cases)
    assert.equal(checkConstraint(version, range) === null, satisfies(version, range), `${version} vs ${range}`);
  assert.match(checkConstraint('1.3.0-beta.1', '>=1.2.0')!, /does not satisfy/);
  assert.match(checkConstraint('0.3.0', '^0.2.0')!, /does not satisfy/);
});

test("upstream's != and a leading v", () => {
  assert.match(checkConstraint('1.2.3', '!=1.2.3')!, /does not satisfy "!=1.2.3"/);
  assert.equal(checkConstraint('1.2.4', '!= 1.2.3'), null);
  assert.equal(checkConstraint('v1.2.3', '=v1.2.3'), null);
  assert.match(checkConstraint('1.2.3', '!=banana')!, /cannot parse/);
  assert.match(checkConstraint('one', '>=1.0.0')!, /not a semantic version/);
});
