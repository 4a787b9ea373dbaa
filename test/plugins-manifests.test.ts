// Each data/state plugin's manifest.json passes the registry's own validator (schema + upstream CI
// rules) and lists exactly the types its factories register.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { EnginePlugin } from '../engine/index.ts';
import { validateManifestBytes } from '../registry-index/index.ts';
import {
  apiPlugin,
  authPlugin,
  datastoresPlugin,
  featureFlagsPlugin,
  licensePlugin,
  messagingPlugin,
  modularCompatPlugin,
  openApiPlugin,
  platformPlugin,
  schedulerPlugin,
  statemachinePlugin,
  storagePlugin,
} from '../plugins/index.ts';

const PLUGINS: Record<string, EnginePlugin> = {
  api: apiPlugin,
  auth: authPlugin,
  datastores: datastoresPlugin,
  featureflags: featureFlagsPlugin,
  license: licensePlugin,
  messaging: messagingPlugin,
  modularcompat: modularCompatPlugin,
  openapi: openApiPlugin,
  platform: platformPlugin,
  scheduler: schedulerPlugin,
  statemachine: statemachinePlugin,
  storage: storagePlugin,
};

const sorted = (xs: Iterable<string> | undefined) => [...(xs ?? [])].sort();

for (const [dir, plugin] of Object.entries(PLUGINS)) {
  test(`plugins/${dir}/manifest.json is a valid registry manifest matching the plugin`, () => {
    const file = `plugins/${dir}/manifest.json`;
    const bytes = readFileSync(new URL(`../${file}`, import.meta.url));
    const { problems } = validateManifestBytes({ file, pluginId: dir }, bytes);
    assert.deepEqual(
      problems.filter((p) => p.severity === 'error').map((p) => `${p.line}:${p.column} ${p.message}`),
      [],
    );
    const manifest = JSON.parse(bytes.toString('utf8'));
    assert.deepEqual([manifest.name, manifest.type, manifest.tier], [plugin.manifest.name, 'builtin', 'core']);
    const caps = manifest.capabilities;
    assert.deepEqual(sorted(caps.moduleTypes), sorted(Object.keys(plugin.modules ?? {})));
    assert.deepEqual(sorted(caps.stepTypes), sorted(Object.keys(plugin.steps ?? {})));
    assert.deepEqual(sorted(caps.triggerTypes), sorted(Object.keys(plugin.triggers ?? {})));
    assert.deepEqual(sorted(caps.workflowHandlers), sorted(Object.keys(plugin.workflowHandlers ?? {})));
    assert.deepEqual(sorted(caps.wiringHooks), sorted(plugin.wiringHooks?.map((h) => h.name)));
    for (const type of Object.keys(plugin.modules ?? {}))
      assert.ok(plugin.moduleSchemas?.[type], `schema for module ${type}`);
    for (const type of Object.keys(plugin.steps ?? {}))
      assert.ok(plugin.stepSchemas?.[type], `schema for step ${type}`);
  });
}
