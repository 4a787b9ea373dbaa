import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nameProblems, qualifiedNameProblems, labelValueProblems } from './names.ts';

test('RFC 1123 subdomains and labels, DNS-1035 labels', () => {
  assert.deepEqual(nameProblems('my-app.example', 'subdomain'), []);
  assert.match(nameProblems('My_App', 'subdomain')[0]!, /lowercase RFC 1123 subdomain/);
  assert.match(nameProblems('a.b', 'label')[0]!, /RFC 1123 label/);
  assert.deepEqual(nameProblems('x'.repeat(64), 'label').slice(0, 1), ['must be no more than 63 characters']);
  assert.match(nameProblems('1abc', 'dns1035')[0]!, /DNS-1035 label/);
  assert.deepEqual(nameProblems('ok', 'path-segment'), []);
  assert.deepEqual(nameProblems('a/b', 'path-segment'), ["may not contain '/'"]);
});

test('label keys and values', () => {
  assert.deepEqual(qualifiedNameProblems('app.kubernetes.io/name'), []);
  assert.match(qualifiedNameProblems('bad key')[0]!, /name part must consist of alphanumeric characters/);
  assert.match(qualifiedNameProblems('/x')[0]!, /prefix part must be non-empty/);
  assert.deepEqual(labelValueProblems(''), []);
  assert.match(labelValueProblems('-x')[0]!, /a valid label must be an empty string or consist of/);
});
