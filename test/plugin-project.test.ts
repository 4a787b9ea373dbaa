// A scaffolded plugin project as its author works on it: `wfctl plugin docs` (Markdown from the
// manifest and the config schemas), `wfctl plugin test -o json`, and the archive `wfctl publish`
// packs: the same project gives the same bytes (whatever the files' times), and a manifest that does
// not match what the entry registers is refused before anything is published.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PackError, packPlugin, readTarGz } from '../registry-index/index.ts';
import { wfctl } from './plugin-support.ts';
import { tempDir } from './registry-support.ts';

let dirs: ReturnType<typeof tempDir>;
let project = '';

before(async () => {
  dirs = tempDir('plugin-project-');
  const init = await wfctl(['plugin', 'init', 'docs-demo', '--dir', dirs.path, '--description', 'Greets people']);
  assert.equal(init.code, 0, init.stderr);
  project = join(dirs.path, 'docs-demo');
});
after(() => dirs?.cleanup());

test('wfctl plugin docs writes the manifest identity and every type with its config fields', {
  timeout: 120_000,
}, async () => {
  const out = join(project, 'PLUGIN.md');
  const r = await wfctl(['plugin', 'docs', '--out', out], { cwd: project });
  assert.equal(r.code, 0, r.stderr);
  const md = readFileSync(out, 'utf8');
  assert.match(md, /^# docs-demo\b/m);
  assert.match(md, /Greets people/);
  assert.match(md, /### `docs_demo\.greeter`/);
  assert.match(md, /### `step\.docs_demo_greet`/);
  assert.match(md, /\| `greeting` \| string \| {2}\| `Hello` \| Word put before the name \|/);

  const missing = await wfctl(['plugin', 'docs', join(dirs.path, 'nowhere')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /nowhere\/manifest\.json not found/);
});

test('wfctl plugin test -o json reports every test; a failing test makes it exit 1', { timeout: 120_000 }, async () => {
  const passing = await wfctl(['plugin', 'test', '-o', 'json'], { cwd: project });
  assert.equal(passing.code, 0, passing.stdout + passing.stderr);
  const report = JSON.parse(passing.stdout);
  assert.deepEqual([report.ok, report.passed, report.failed], [true, 3, 0]);

  const file = join(project, 'test', 'greet_test.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('message: "Howdy, Ada!"', 'message: "Howdy, Bob!"'));
  const failing = await wfctl(['plugin', 'test'], { cwd: project });
  assert.equal(failing.code, 1);
  assert.match(failing.stdout, /^not ok 1 - .*greets-through-the-pipeline/m);
  assert.match(failing.stdout, /line \d+: .*Howdy, Bob!/);
});

test('the packed archive is deterministic and holds what the engine loads', { timeout: 120_000 }, async () => {
  const first = await packPlugin(project);
  utimesSync(join(project, 'src', 'index.ts'), new Date(2001, 0, 1), new Date(2001, 0, 1));
  const second = await packPlugin(project);
  assert.equal(second.sha256, first.sha256);
  assert.ok(second.bytes.equals(first.bytes));
  assert.deepEqual(
    readTarGz(first.bytes).map((e) => e.path),
    ['README.md', 'index.js', 'manifest.json'],
  );
  const packed = JSON.parse(
    readTarGz(first.bytes)
      .find((e) => e.path === 'manifest.json')!
      .data.toString('utf8'),
  );
  assert.equal(packed.main, 'index.js');
  assert.equal(packed.downloads, undefined);

  // a manifest claiming a step the entry does not register
  const manifestPath = join(project, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  manifest.capabilities.stepTypes.push('step.docs_demo_missing');
  writeFileSync(manifestPath, JSON.stringify(manifest));
  await assert.rejects(packPlugin(project), (err: Error) => {
    assert.ok(err instanceof PackError, err.message);
    assert.match(err.message, /step\.docs_demo_missing/);
    return true;
  });
});
