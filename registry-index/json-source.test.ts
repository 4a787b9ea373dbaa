import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusRegistry } from '../test/registry-support.ts';
import { escapePointerToken, JsonSyntaxError, parseJson, parseJsonTracked } from './json-source.ts';

test('parses like JSON.parse and locates values, keys and missing members', () => {
  const text = '{\n  "name": "x",\n  "downloads": [\n    {"os": "linux", "url": "u"}\n  ]\n}';
  const doc = parseJson(text);
  assert.deepEqual(doc.value, JSON.parse(text));
  assert.deepEqual(doc.locate('/name'), { line: 2, column: 11 });
  assert.deepEqual(doc.locate('/name', { key: true }), { line: 2, column: 3 });
  assert.deepEqual(doc.locate('/downloads/0/url'), { line: 4, column: 28 });
  // a pointer that does not exist falls back to the nearest ancestor
  assert.deepEqual(doc.locate('/downloads/0/sha256'), { line: 4, column: 5 });
  assert.deepEqual(doc.duplicateKeys, []);
});

test('reports duplicate keys with their position', () => {
  const doc = parseJson('{"a": 1,\n "b": {"c": 1, "c": 2},\n "a": 3}');
  assert.deepEqual(
    doc.duplicateKeys.map((d) => [d.pointer, d.position.line, d.position.column]),
    [
      ['/b/c', 2, 16],
      ['/a', 3, 2],
    ],
  );
  assert.deepEqual(doc.value, { a: 3, b: { c: 2 } });
});

test('a key marker inside a string value does not hide or fake a duplicate', () => {
  assert.deepEqual(parseJson('{"a": "x\\":y", "b": 1}').duplicateKeys, []);
  assert.equal(parseJson('{"a": "x\\":y", "a": 1}').duplicateKeys.length, 1);
});

test('syntax errors say what and where', () => {
  const cases: Array<[string, RegExp, number, number]> = [
    ['{"a": 1,}', /trailing comma/, 1, 9],
    ['{"a": 1\n "b": 2}', /missing ","/, 2, 2],
    ["{'a': 1}", /double quotes/, 1, 2],
    ['{"a": True}', /did you mean true|only JSON literals/, 1, 7],
    ['{"a": "x', /unterminated string/, 1, 7],
    ['', /empty/, 1, 1],
    ['{"a": 01}', /leading zeros/, 1, 7],
    ['{"a": 1} x', /after the end/, 1, 10],
  ];
  for (const [text, message, line, column] of cases) {
    assert.throws(
      () => parseJson(text),
      (err: unknown) => {
        assert.ok(err instanceof JsonSyntaxError, text);
        assert.match(err.message, message, text);
        assert.deepEqual(err.position, { line, column }, text);
        return true;
      },
    );
  }
});

test('a byte-order mark is accepted; __proto__ stays an ordinary key', () => {
  assert.deepEqual(parseJson('\ufeff{"a": 1}').value, { a: 1 });
  const v = parseJson('{"__proto__": {"x": 1}, "__proto__": 2}').value as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(v, '__proto__')?.value, 2);
});

test('positions in well-formed text are those the tracking parser records, for every value of the corpus', () => {
  const pointers = (value: unknown, at = ''): string[] => {
    if (value === null || typeof value !== 'object') return [at];
    const children = Array.isArray(value)
      ? value.map((v, i) => pointers(v, `${at}/${i}`))
      : Object.entries(value).map(([k, v]) => pointers(v, `${at}/${escapePointerToken(k)}`));
    return [at, ...children.flat()];
  };
  const texts = [
    ...readdirSync(join(corpusRegistry, 'plugins')).map((id) =>
      readFileSync(join(corpusRegistry, 'plugins', id, 'manifest.json'), 'utf8'),
    ),
    '{"a~b": {"c/d": [1, {"": "x"}]}, "e\\"f": {"g": "}]\\\\"}, "\\u0068": [[], {}, [true, null, -1.5e3]]}',
    ' \r\n\t[ {"k" : "v" , "l":[ 1 ,2 ]} , "x\\"y", 0 ]\n',
    '"just a string"',
  ];
  let checked = 0;
  for (const text of texts) {
    const fast = parseJson(text);
    const tracked = parseJsonTracked(text);
    for (const p of [...pointers(fast.value), '/missing', '/0/missing/deeper', 'no-slash']) {
      for (const q of [p, `${p}/missing`, `${p}/0`]) {
        for (const key of [false, true]) {
          assert.deepEqual(
            fast.locate(q, { key }),
            tracked.locate(q, { key }),
            `${q} (key: ${key}) in ${text.slice(0, 40)}`,
          );
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 10_000, `checked ${checked} positions`);
});
