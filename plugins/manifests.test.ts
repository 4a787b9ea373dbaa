// Every plugin folder ships a manifest.json that (1) is valid against the registry's manifest schema
// (schema/plugin-manifest.schema.json: UPSTREAM.md 5.2 plus this registry's extensions) and (2) lists
// exactly the module, step and trigger types and workflow handlers its factories register; and every
// loaded plugin's identity matches its folder's manifest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { corePlugins } from './index.ts';

const pluginsDir = new URL('.', import.meta.url).pathname;
const registrySchema = JSON.parse(
  readFileSync(new URL('../schema/plugin-manifest.schema.json', import.meta.url), 'utf8'),
) as object;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(registrySchema);

interface Manifest {
  name: string;
  version: string;
  description: string;
  tier: string;
  capabilities?: { moduleTypes?: string[]; stepTypes?: string[]; triggerTypes?: string[]; workflowHandlers?: string[] };
}

const folders = readdirSync(pluginsDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(pluginsDir, d.name, 'manifest.json')))
  .map((d) => d.name);

const sorted = (xs: Iterable<string> | undefined) => [...(xs ?? [])].sort();

for (const folder of folders) {
  const manifest = JSON.parse(readFileSync(join(pluginsDir, folder, 'manifest.json'), 'utf8')) as Manifest;

  test(`plugins/${folder}/manifest.json is valid against the registry schema`, () => {
    const ok = validate(manifest);
    assert.deepEqual(ok ? [] : validate.errors!.map((e) => `${e.instancePath || '/'} ${e.message}`), []);
  });

  test(`plugins/${folder}: manifest capabilities equal what the plugin registers`, () => {
    const plugin = corePlugins.find((p) => p.manifest.name === manifest.name);
    assert.ok(plugin, `plugin "${manifest.name}" (plugins/${folder}) is in corePlugins`);
    assert.equal(plugin.manifest.version, manifest.version);
    assert.equal(plugin.manifest.tier, manifest.tier);
    const caps = manifest.capabilities ?? {};
    assert.deepEqual(sorted(caps.moduleTypes), sorted(Object.keys(plugin.modules ?? {})), 'moduleTypes');
    assert.deepEqual(sorted(caps.stepTypes), sorted(Object.keys(plugin.steps ?? {})), 'stepTypes');
    assert.deepEqual(sorted(caps.triggerTypes), sorted(Object.keys(plugin.triggers ?? {})), 'triggerTypes');
    assert.deepEqual(
      sorted(caps.workflowHandlers),
      sorted(Object.keys(plugin.workflowHandlers ?? {})),
      'workflowHandlers',
    );
  });
}

test('every core plugin has a manifest folder, and names are unique', () => {
  const names = folders.map(
    (f) => (JSON.parse(readFileSync(join(pluginsDir, f, 'manifest.json'), 'utf8')) as Manifest).name,
  );
  assert.equal(new Set(names).size, names.length);
  for (const p of corePlugins)
    assert.ok(names.includes(p.manifest.name), `${p.manifest.name} has plugins/<dir>/manifest.json`);
});
