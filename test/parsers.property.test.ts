// Issue 16's standing bad-input suite for the parsers of what users hand us: plugin manifests (the
// registry's validator, run on every pull request and push) and workflow configs (`wfctl validate`,
// `wfctl run`, the operator). Generated input, random bytes and mutations of real documents with
// prototype-reaching keys, aliases and deep nesting, must come back as located problems with a
// message: never an exception, never a changed prototype, and nothing written to disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { validateConfigText } from '../engine/index.ts';
import { corePlugins } from '../plugins/index.ts';
import { policyRules, validateManifestBytes } from '../registry-index/index.ts';
import { manifest } from './registry-support.ts';

const dangerousKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'];
const key = fc.oneof(fc.constantFrom(...dangerousKeys, 'name', 'type', 'config', '0'), fc.string({ maxLength: 5 }));
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 8 }),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 3 }),
  object: fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((e) => Object.fromEntries(e)),
})).value;

/** `doc` with the value at a random path of keys replaced (objects on the way are created). */
function mutate(doc: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  const base = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? { ...doc } : {};
  const child = Object.hasOwn(base, head) ? (base as Record<string, unknown>)[head] : undefined;
  Object.defineProperty(base, head, {
    value: mutate(child, rest, value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return base;
}

const protoNames = () =>
  [Object.prototype, Array.prototype].map((p) => Reflect.ownKeys(p).map(String).sort().join(','));
const pristine = protoNames();
function assertUnpolluted(): void {
  assert.deepEqual(protoNames(), pristine, 'a built-in prototype changed');
  for (const k of ['polluted', 'x', 'name', 'type']) assert.equal(Object.hasOwn(Object.prototype, k), false);
}

// Bounded so the file stays within the test budget: each config validation builds a plugin catalog.
const runs = { numRuns: 60 };

test('property: a manifest of any bytes or shape gets problems with a message, never an exception', () => {
  const file = 'plugins/foo/manifest.json';
  const check = (bytes: Uint8Array) => {
    const result = validateManifestBytes({ file, pluginId: 'foo' }, bytes);
    assert.ok(Array.isArray(result.problems));
    for (const p of result.problems) {
      assert.equal(p.file, file);
      assert.ok(p.message.length > 0 && p.rule.length > 0 && p.line >= 1, JSON.stringify(p));
    }
    if (result.manifest)
      assert.deepEqual(
        result.problems.filter((p) => p.severity === 'error' && !policyRules.has(p.rule)),
        [],
        'a manifest is only given for a file with no errors apart from policy rules',
      );
    assertUnpolluted();
    return result.problems.map((p) => p.message).join('\n');
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      check(bytes);
    }),
    runs,
  );
  fc.assert(
    fc.property(fc.array(key, { minLength: 1, maxLength: 3 }), json, (path, value) => {
      check(Buffer.from(JSON.stringify(mutate(manifest('foo'), path, value))));
    }),
    runs,
  );
  assert.match(check(Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)), /nest deeper than 1000 levels/);
  assert.match(check(Buffer.from(`{"a":${'['.repeat(100_000)}`)), /nest deeper than 1000 levels/);
  check(Buffer.from('{"name":"foo","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":1}}}'));
  // found by this suite: String() of an object whose own toString is data threw inside the validator
  assert.match(
    check(Buffer.from(JSON.stringify(manifest('foo', { type: { toString: {} } })))),
    /"type" is "\{"toString":\{\}\}", which is not one of/,
  );
});

test('property: a workflow config of any shape gets located issues, never an exception or a write', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parsers-property-'));
  const sample = readFileSync(
    new URL('./fixtures/corpus/workflow-examples/simple-workflow-config.yaml', import.meta.url),
    'utf8',
  );
  const base = parseYaml(sample) as unknown;
  const check = (text: string) => {
    const result = validateConfigText(text, { plugins: corePlugins, env: {}, baseDir: dir, file: 'app.yaml' });
    for (const issue of [...result.errors, ...result.warnings]) {
      assert.ok(issue.message.length > 0 && issue.line >= 1, JSON.stringify(issue));
    }
    assert.equal(result.ok, result.errors.length === 0);
    assertUnpolluted();
    return result.errors.map((e) => e.message).join('\n');
  };
  try {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(key, fc.constantFrom('modules', 'workflows', 'pipelines', 'imports', 'triggers')), {
          minLength: 1,
          maxLength: 4,
        }),
        json,
        (path, value) => {
          check(toYaml(mutate(base, path, value)));
        },
      ),
      runs,
    );
    const yamlToken = fc.constantFrom(
      'modules:',
      '\n  - ',
      '\n',
      '  ',
      'name: a',
      'type: http.server',
      '&a ',
      '*a',
      '<<: *a',
      '[',
      ']',
      '{',
      '}',
      ', ',
      ': ',
      '? ',
      '!!str ',
      '!!binary ',
      '__proto__: ',
      'constructor: ',
      'imports: [../../../etc/passwd, missing.yaml]',
      '${HOME}',
      '"',
      "'",
      '|\n',
      '---\n',
      '#',
    );
    fc.assert(
      fc.property(fc.array(yamlToken, { maxLength: 20 }), (tokens) => {
        check(tokens.join(''));
      }),
      runs,
    );
    // the extremes, once each: an alias bomb, 100k-deep flow and block nesting, a prototype key
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++)
      laughs.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    assert.match(check(laughs.join('\n')), /YAML aliases expand to more than/);
    assert.match(
      check(`modules: ${'['.repeat(100_000)}${']'.repeat(100_000)}`),
      /nests lists and maps more than 1000 levels deep/,
    );
    assert.match(
      check(Array.from({ length: 5_000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')),
      /more than 1000 levels deep/,
    );
    check('__proto__:\n  polluted: yes\nmodules:\n  - name: a\n    type: http.server\n    __proto__: {polluted: 1}\n');
    assert.deepEqual(readdirSync(dir), [], 'parsing wrote nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
