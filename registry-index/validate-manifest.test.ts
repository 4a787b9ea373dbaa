import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusRegistry, manifest, json } from '../test/registry-support.ts';
import { formatProblem } from './problem.ts';
import { validateManifestBytes } from './validate-manifest.ts';

function validate(value: unknown, opts: { id?: string; file?: string; fileVersion?: string } = {}) {
  const id = opts.id ?? 'foo';
  const file = opts.file ?? `plugins/${id}/manifest.json`;
  const bytes = Buffer.from(typeof value === 'string' ? value : json(value));
  return validateManifestBytes({ file, pluginId: id, fileVersion: opts.fileVersion }, bytes);
}

function rules(value: unknown, opts?: Parameters<typeof validate>[1]): string[] {
  return validate(value, opts)
    .problems.filter((p) => p.severity === 'error')
    .map((p) => p.rule);
}

test('every upstream corpus manifest passes the validator', () => {
  const dir = join(corpusRegistry, 'plugins');
  const ids = readdirSync(dir);
  assert.equal(ids.length, 104);
  for (const id of ids) {
    const file = `plugins/${id}/manifest.json`;
    const result = validateManifestBytes({ file, pluginId: id }, readFileSync(join(dir, id, 'manifest.json')));
    const errors = result.problems.filter((p) => p.severity === 'error');
    assert.deepEqual(errors.map(formatProblem), [], file);
    assert.ok(result.manifest, file);
  }
});

test('a good manifest has no problems', () => {
  assert.deepEqual(validate(manifest('foo')).problems, []);
  assert.deepEqual(validate(manifest('workflow-plugin-foo')).problems, []);
});

test('schema failures carry file, line, column, pointer, rule and a fix', () => {
  const text =
    '{\n  "name": "foo",\n  "version": "1.0.0",\n  "author": "a",\n  "descripton": "x",\n  "type": ' +
    '"extrenal",\n  "tier": "community",\n  "license": "MIT",\n  "category": "other"\n}\n';
  const problems = validate(text).problems;
  const unknown = problems.find((p) => p.rule === 'schema/additionalProperties')!;
  assert.deepEqual(
    { ...unknown },
    {
      file: 'plugins/foo/manifest.json',
      line: 5,
      column: 3,
      jsonPointer: '/descripton',
      rule: 'schema/additionalProperties',
      message: 'unknown property "descripton" in the manifest',
      hint: 'did you mean "description"?',
      severity: 'error',
    },
  );
  const required = problems.find((p) => p.rule === 'schema/required')!;
  assert.match(required.message, /missing required property "description"/);
  const badEnum = problems.find((p) => p.rule === 'schema/enum')!;
  assert.equal(badEnum.line, 6);
  assert.equal(badEnum.hint, 'did you mean "external"?');
  assert.match(formatProblem(badEnum), /^plugins\/foo\/manifest.json:6:11: error schema\/enum: "type" is "extrenal"/);
});

test('invalid JSON is one located problem, not a crash', () => {
  const r = validate('{\n  "name": "foo",\n  "version": "1.0.0",,\n}');
  assert.equal(r.manifest, undefined);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]!.rule, 'json-syntax');
  assert.equal(r.problems[0]!.line, 3);
  assert.equal(validate('[1, 2]').problems[0]!.message, 'a manifest must be a JSON object');
  assert.equal(
    validateManifestBytes({ file: 'plugins/foo/manifest.json', pluginId: 'foo' }, Buffer.from([0x7b, 0xff, 0x7d]))
      .problems[0]!.rule,
    'encoding',
  );
});

test('a 50 MB manifest is refused by size before parsing', () => {
  // all blanks: parsing it would add a json-syntax problem, so its absence shows it was not parsed
  const big = Buffer.alloc(50 * 1024 * 1024, 0x20);
  const r = validateManifestBytes({ file: 'plugins/foo/manifest.json', pluginId: 'foo' }, big);
  assert.deepEqual(
    r.problems.map((p) => p.rule),
    ['manifest-size'],
  );
  assert.match(r.problems[0]!.message, /50\.0 MiB, over the 1\.0 MiB limit/);
});

test('duplicate keys are reported', () => {
  const r = validate('{"name": "foo", "name": "bar"}');
  assert.ok(r.problems.some((p) => p.rule === 'json-duplicate-key' && p.jsonPointer === '/name'));
});

test('registry rules: name and directory, semver, sha256, platforms, release URL', () => {
  assert.deepEqual(rules(manifest('bar')), ['name-matches-directory']);
  assert.deepEqual(rules(manifest('Foo')), ['name-format']);
  assert.deepEqual(rules(manifest('foo', { version: '1.2.3.4' })), ['semver']);
  assert.deepEqual(
    rules(manifest('foo', { version: '1.0.0' }), { file: 'plugins/foo/versions/1.0.1.json', fileVersion: '1.0.1' }),
    ['version-file-name'],
  );
  const url = (v: string, platform: string) =>
    `https://github.com/example/foo/releases/download/v${v}/foo-${platform}.tar.gz`;
  const sha = 'a'.repeat(64);
  assert.deepEqual(
    rules(
      manifest('foo', { downloads: [{ os: 'linux', arch: 'amd64', url: url('1.0.0', 'linux-amd64'), sha256: 'abc' }] }),
    ),
    ['sha256-format'],
  );
  assert.deepEqual(
    rules(
      manifest('foo', { downloads: [{ os: 'linux', arch: 'amd64', url: url('0.9.0', 'linux-amd64'), sha256: sha }] }),
    ),
    ['download-url-version'],
  );
  assert.deepEqual(
    rules(
      manifest('foo', {
        downloads: [
          { os: 'linux', arch: 'amd64', url: url('1.0.0', 'a'), sha256: sha },
          { os: 'linux', arch: 'amd64', url: url('1.0.0', 'b'), sha256: sha },
        ],
      }),
    ),
    ['download-platform-unique'],
  );
  // several binaries per platform are fine when one is clearly the plugin's own archive
  assert.deepEqual(
    rules(
      manifest('foo', {
        downloads: [
          { os: 'linux', arch: 'amd64', url: url('1.0.0', 'linux-amd64').replace('/foo-', '/tool-'), sha256: sha },
          { os: 'linux', arch: 'amd64', url: url('1.0.0', 'linux-amd64'), sha256: sha },
        ],
      }),
    ),
    [],
  );
  const missing = validate(
    manifest('foo', { downloads: [{ os: 'linux', arch: 'amd64', url: url('1.0.0', 'linux-amd64') }] }),
  ).problems;
  assert.deepEqual(
    missing.map((p) => [p.rule, p.severity]),
    [['sha256-missing', 'warning']],
  );
});

test('upstream CI rules: scaffold, legacy flags_passthrough, placeholders, category', () => {
  assert.deepEqual(rules(manifest('foo', { repository: 'https://github.com/GoCodeAlone/scaffold-workflow-plugin' })), [
    'no-scaffold',
  ]);
  const legacy = validate(
    manifest('foo', { capabilities: { cliCommands: [{ name: 'x', flags_passthrough: true }] } }),
  ).problems;
  assert.deepEqual(
    legacy.map((p) => [p.rule, p.jsonPointer]),
    [['no-legacy-flags-passthrough', '/capabilities/cliCommands/0/flags_passthrough']],
  );
  assert.match(legacy[0]!.hint, /flagsPassthrough/);
  assert.deepEqual(rules(manifest('foo', { capabilities: { moduleTypes: ['TEMPLATE.module', 'ok.type'] } })), [
    'no-placeholder-capability',
  ]);
  const noCategory = manifest('foo');
  delete noCategory.category;
  assert.deepEqual(rules(noCategory), ['category-required']);
});

test('path traversal: in download paths, and unsafe plugin ids are refused', () => {
  for (const url of ['../other/x.tar.gz', '/etc/passwd', 'dist/../../x.tar.gz', 'a\\b.tar.gz', '.git/config']) {
    assert.deepEqual(
      rules(manifest('foo', { downloads: [{ os: 'linux', arch: 'amd64', url, sha256: 'a'.repeat(64) }] })),
      ['download-path-traversal'],
      url,
    );
  }
  assert.deepEqual(
    rules(manifest('foo', { downloads: [{ os: 'linux', arch: 'amd64', url: 'ftp://x/y', sha256: 'a'.repeat(64) }] })),
    ['download-url'],
  );
});

test('policy errors still leave the manifest indexable; structural errors do not', () => {
  const policy = validate(manifest('bar'));
  assert.ok(policy.manifest);
  assert.equal(policy.problems[0]!.severity, 'error');
  assert.equal(validate(manifest('foo', { version: 'one' })).manifest, undefined);
});
