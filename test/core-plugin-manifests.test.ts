// Every core plugin of this repository (plugins/<name>/manifest.json) must pass the registry's
// validator, so the core plugins can be published to a registry as they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryTree, buildIndex, formatProblem } from '../registry-index/index.ts';

const root = new URL('..', import.meta.url).pathname;
const pluginsDir = join(root, 'plugins');
const withManifest = existsSync(pluginsDir)
  ? readdirSync(pluginsDir).filter(
      (d) => statSync(join(pluginsDir, d)).isDirectory() && existsSync(join(pluginsDir, d, 'manifest.json')),
    )
  : [];

test('core plugin manifests pass the registry validator', async () => {
  assert.ok(withManifest.length > 5, `expected the core plugins' manifests, found ${withManifest.length}`);
  // Index only the manifests: the plugins folder also holds their TypeScript sources.
  const files = new Map(
    withManifest.map((d) => [`plugins/${d}/manifest.json`, readFileSync(join(pluginsDir, d, 'manifest.json'))]),
  );
  const index = await buildIndex(new MemoryTree(files, 'working tree'));
  const errors = index.problems.filter((p) => p.severity === 'error');
  assert.deepEqual(
    errors.map(formatProblem),
    [],
    'fix these manifests (wfctl registry validate plugins/<name>/manifest.json)',
  );
  assert.equal(index.plugins.size, withManifest.length);
});
