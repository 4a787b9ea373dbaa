import { test } from 'node:test';
import assert from 'node:assert/strict';
import { atomicList, keyedList, obj, setList, str } from '../../resources/schema-dsl.ts';
import { applyJsonPatch, PatchError } from './json-patch.ts';
import { applyMergePatch } from './merge-patch.ts';
import { applyStrategicMergePatch } from './strategic-merge.ts';

test('JSON patch: RFC 6902 operations on a copy, failing test aborts', () => {
  const doc = { a: { b: [1, 2] }, c: 'x' };
  const out = applyJsonPatch(doc, [
    { op: 'add', path: '/a/b/-', value: 3 },
    { op: 'replace', path: '/c', value: 'y' },
    { op: 'move', from: '/c', path: '/d' },
    { op: 'copy', from: '/a/b/0', path: '/a/first' },
    { op: 'remove', path: '/a/b/1' },
    { op: 'test', path: '/d', value: 'y' },
    { op: 'add', path: '/a~1b', value: true },
  ]);
  assert.deepEqual(out, { a: { b: [1, 3], first: 1 }, d: 'y', 'a/b': true });
  assert.deepEqual(doc, { a: { b: [1, 2] }, c: 'x' }, 'the input is untouched');
  assert.throws(() => applyJsonPatch(doc, [{ op: 'test', path: '/c', value: 'z' }]), PatchError);
  assert.throws(() => applyJsonPatch(doc, [{ op: 'remove', path: '/nope' }]), /nonexistent/);
});

test('merge patch: null deletes, objects merge, lists replace', () => {
  assert.deepEqual(applyMergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { a: null, b: { c: 9 }, l: [3] }), {
    b: { c: 9, d: 3 },
    l: [3],
  });
});

const podLike = obj({
  containers: keyedList(
    obj({ name: str(), image: str(), env: keyedList(obj({ name: str(), value: str() }), ['name']) }),
    ['name'],
  ),
  finalizers: setList(str(), { 'x-kubernetes-patch-strategy': 'merge' }),
  args: atomicList(str()),
});

test('strategic merge: keyed lists merge by key, directives delete/replace/order, plain lists replace', () => {
  const original = {
    containers: [
      { name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }] },
      { name: 'b', image: 'b:1' },
    ],
    finalizers: ['f1'],
    args: ['x'],
  };
  const patched = applyStrategicMergePatch(
    original,
    {
      containers: [
        { name: 'a', image: 'a:2', env: [{ name: 'Y', value: '2' }] },
        { name: 'b', $patch: 'delete' },
        { name: 'c', image: 'c:1' },
      ],
      finalizers: ['f2'],
      args: ['y'],
    },
    podLike,
  );
  assert.deepEqual(patched, {
    containers: [
      {
        name: 'a',
        image: 'a:2',
        env: [
          { name: 'X', value: '1' },
          { name: 'Y', value: '2' },
        ],
      },
      { name: 'c', image: 'c:1' },
    ],
    finalizers: ['f1', 'f2'],
    args: ['y'],
  });
  const reordered = applyStrategicMergePatch(
    { containers: [{ name: 'a' }, { name: 'b' }] },
    { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] },
    podLike,
  );
  assert.deepEqual(reordered, { containers: [{ name: 'b' }, { name: 'a' }] });
  const replaced = applyStrategicMergePatch(
    { containers: [{ name: 'a' }, { name: 'b' }] },
    { containers: [{ $patch: 'replace' }, { name: 'z' }] },
    podLike,
  );
  assert.deepEqual(replaced, { containers: [{ name: 'z' }] });
  assert.deepEqual(
    applyStrategicMergePatch({ finalizers: ['a', 'b'] }, { '$deleteFromPrimitiveList/finalizers': ['a'] }, podLike),
    { finalizers: ['b'] },
  );
});
