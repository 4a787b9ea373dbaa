// Issue 16's standing bad-input suite for devcluster's walkers over client JSON: JSON patch, merge
// and strategic-merge patch, server-side apply field sets, schema pruning and defaulting, JSONPath,
// label and field selectors. Generated input leans on the keys that reach the prototype chain
// (`__proto__`, `constructor`, ...) and asserts, for every run: no crash (only the walker's own
// error, which the API answers with a 4xx and its message), no prototype changed anywhere, the
// input left as it was, and keys kept as data (an added `__proto__` is an own property).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ApiError } from '../api/errors.ts';
import { objectFrame } from '../resources/object-meta.ts';
import { keyedList, obj, opaque, setList, str, stringMap } from '../resources/schema-dsl.ts';
import { fieldSetOf, removeAt, valueAt } from './field-set.ts';
import { compileJsonPath, evaluateJsonPath, JsonPathError } from './jsonpath.ts';
import { recordUpdate, serverSideApply, type OwnershipContext } from './managed-fields.ts';
import { applyJsonPatch, PatchError } from './patch/json-patch.ts';
import { applyMergePatch } from './patch/merge-patch.ts';
import { applyStrategicMergePatch } from './patch/strategic-merge.ts';
import { applyDefaults, prune, type Schema } from './schema.ts';
import { matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';

// Bounded so the whole file stays within a few seconds on a loaded machine.
const runs = { numRuns: 300 };

const dangerousKeys = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'length',
];
const key = fc.oneof(
  fc.constantFrom(...dangerousKeys, 'a', 'b', 'name', 'spec', 'metadata', '0', '1', '-', '', 'a/b', 'a~b'),
  fc.constantFrom('$patch', '$retainKeys', '$setElementOrder/items', '$deleteFromPrimitiveList/tags'),
  fc.string({ maxLength: 5 }),
);
const scalar = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 6 }));
/** JSON values whose objects have the dangerous keys as own properties, as JSON.parse makes them. */
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 3 }),
  object: fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((entries) => Object.fromEntries(entries)),
})).value;
const object = json.map((v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : { v }));

const pointer = fc
  .array(fc.oneof(key, fc.nat(3).map(String)), { maxLength: 4 })
  .map((parts) => parts.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join(''));
const operation = fc.oneof(
  fc.record(
    {
      op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus'),
      path: fc.oneof(pointer, fc.constantFrom('/__proto__/polluted', '/constructor/prototype/polluted', 'x')),
      from: pointer,
      value: json,
    },
    { requiredKeys: ['op', 'path'] },
  ),
  json,
);

const protoNames = () =>
  [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) =>
    Reflect.ownKeys(p).map(String).sort().join(','),
  );
const pristine = protoNames();

/** Nothing in the process was polluted, and every object in `value` has its ordinary prototype. */
function assertUnpolluted(value: unknown): void {
  assert.deepEqual(protoNames(), pristine, 'a built-in prototype changed');
  for (const k of dangerousKeys) if (k !== 'length') assert.equal(Object.hasOwn({}, k), false);
  const stack = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    const proto = Object.getPrototypeOf(v);
    assert.ok(proto === Object.prototype || proto === Array.prototype || proto === null, 'a prototype was replaced');
    stack.push(...Object.values(v));
  }
}

/** Runs a walker: it returns, or throws one of `expected` with a message. */
function walk<T>(expected: Array<new (...a: never[]) => Error>, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    assert.ok(
      expected.some((E) => e instanceof E),
      `unexpected ${(e as Error)?.constructor?.name}: ${(e as Error)?.stack}`,
    );
    assert.ok((e as Error).message.length > 0);
    return undefined;
  }
}

test('property: JSON patch returns a new document or a PatchError, and never touches a prototype', () => {
  fc.assert(
    fc.property(json, fc.oneof(fc.array(operation, { maxLength: 4 }), json), (doc, ops) => {
      const before = JSON.stringify(doc);
      const out = walk([PatchError], () => applyJsonPatch(doc, ops));
      assert.equal(JSON.stringify(doc), before, 'the input document is untouched');
      assertUnpolluted(out);
    }),
    runs,
  );
});

test('property: a JSON patch "add" of any key to an object makes it an own property, __proto__ included', () => {
  fc.assert(
    fc.property(object, key, json, (doc, k, value) => {
      const path = `/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const out = applyJsonPatch(doc, [{ op: 'add', path, value }]) as Record<string, unknown>;
      assert.ok(Object.hasOwn(out, k));
      assert.equal(JSON.stringify(out[k]), JSON.stringify(value));
      assertUnpolluted(out);
    }),
    runs,
  );
});

test('property: merge and strategic-merge patches keep keys as data', () => {
  const schema = obj({
    items: keyedList(obj({ name: str(), value: str() }), ['name']),
    tags: setList(str(), { 'x-kubernetes-patch-strategy': 'merge' }),
    labels: stringMap(),
  });
  fc.assert(
    fc.property(json, json, (doc, patch) => {
      const before = JSON.stringify([doc, patch]);
      const merged = applyMergePatch(doc, patch);
      assertUnpolluted(merged);
      for (const s of [schema, undefined])
        assertUnpolluted(walk([PatchError], () => applyStrategicMergePatch(doc, patch, s)));
      assert.equal(JSON.stringify([doc, patch]), before, 'inputs are untouched');
    }),
    runs,
  );
  fc.assert(
    fc.property(
      object,
      key,
      scalar.filter((v) => v !== null),
      (doc, k, v) => {
        const out = applyMergePatch(doc, Object.fromEntries([[k, v]])) as Record<string, unknown>;
        assert.ok(Object.hasOwn(out, k));
        assert.equal(out[k], v);
      },
    ),
    runs,
  );
  // found by this suite: a directive that is no string made String() throw (a 500)
  assert.throws(
    () => applyStrategicMergePatch({}, { a: { $patch: { toString: 0 } } }, undefined),
    (e) => e instanceof PatchError && /unknown patch directive \$patch: \{"toString":0\}/.test(e.message),
  );
});

test('property: server-side apply, update ownership, field paths, pruning and defaulting', () => {
  const schema = objectFrame({
    spec: obj({
      image: str({ default: 'x' }),
      plugins: keyedList(obj({ name: str(), version: str() }), ['name']),
      extra: opaque(),
    }),
  });
  const ctx = (manager: string): OwnershipContext => ({
    manager,
    apiVersion: 'example.com/v1',
    statusSubresource: true,
    schema,
    time: '2026-01-01T00:00:00Z',
  });
  const app = fc.record({ spec: object, metadata: fc.record({ name: fc.constant('a'), labels: object }) }).map((o) => ({
    apiVersion: 'example.com/v1',
    kind: 'App',
    ...o,
  }));
  fc.assert(
    fc.property(app, app, fc.boolean(), fc.array(key, { maxLength: 4 }), (live, applied, force, path) => {
      const first = serverSideApply(undefined, live, false, ctx('alice'));
      const second = serverSideApply(first.object, applied, force, ctx('bob'));
      const updated = recordUpdate(
        (second.object.metadata as { managedFields?: [] }).managedFields ?? [],
        second.object,
        applied,
        ctx('carol'),
      );
      assertUnpolluted([first.object, second.object, updated]);
      fieldSetOf(applied, schema).paths();
      const fieldPath = path.map((k) => `f:${k}`);
      valueAt(applied, fieldPath);
      const copy = structuredClone(applied);
      removeAt(copy, fieldPath);
      prune(copy, schema, '');
      applyDefaults(copy, schema);
      assertUnpolluted(copy);
    }),
    runs,
  );
});

test('property: JSONPath compiles or says why, and evaluates over own properties only', () => {
  const expression = fc
    .array(
      fc.oneof(
        fc.constantFrom('.', '[', ']', '*', "'", '"', '@', '?(', ')', '==', '!=', '{', '}', '$', '0', '-1'),
        key,
      ),
      { maxLength: 8 },
    )
    .map((parts) => parts.join(''));
  fc.assert(
    fc.property(expression, json, (src, doc) => {
      const steps = walk([JsonPathError], () => compileJsonPath(src));
      if (steps) assertUnpolluted(evaluateJsonPath(steps, doc));
    }),
    runs,
  );
  // inherited members are never found
  for (const k of dangerousKeys) assert.deepEqual(evaluateJsonPath(compileJsonPath(`.${k}`), {}), [], k);
});

test('property: label and field selectors parse or answer 400, and match over own labels only', () => {
  const text = fc
    .array(fc.oneof(fc.constantFrom(' in ', ' notin ', '(', ')', ',', '=', '==', '!=', '!', '<', '>', ' '), key), {
      maxLength: 8,
    })
    .map((parts) => parts.join(''));
  const labels = fc
    .array(fc.tuple(key, fc.string({ maxLength: 4 })), { maxLength: 4 })
    .map((e) => Object.fromEntries(e) as Record<string, string>);
  fc.assert(
    fc.property(text, labels, (src, l) => {
      for (const parse of [() => parseLabelSelector(src), () => parseFieldSelector(src, ['metadata.name'])]) {
        try {
          parse();
        } catch (e) {
          assert.ok(e instanceof ApiError && e.code === 400 && e.message.length > 0, String(e));
        }
      }
      const selector = walk([ApiError], () => parseLabelSelector(src));
      if (selector) assert.equal(typeof matchesLabels(selector, l), 'boolean');
      assertUnpolluted(l);
    }),
    runs,
  );
  for (const k of ['constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'])
    assert.equal(matchesLabels(parseLabelSelector(k), {}), false, `${k} is no label of an unlabelled object`);
});

test('the schema walkers treat a property named __proto__ as data', () => {
  const schema: Schema = obj({ ['__proto__']: str({ default: 'd' }), spec: obj({ a: str() }) });
  // a schema's own __proto__ property, as JSON.parse of a CRD would give it
  const parsed = JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string","default":"d"}}}');
  for (const s of [schema, parsed as Schema]) {
    const value: Record<string, unknown> = {};
    applyDefaults(value, s);
    assertUnpolluted(value);
  }
});
