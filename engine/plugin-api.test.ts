// The versioned plugin API: ranges checked against pluginApiVersion with both versions named, the
// entry export forms, manifest/entry agreement, loading from a directory, and requires.plugins
// checked against the lock and the license gate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnginePlugin } from './contract.ts';
import { PluginCatalog } from './plugin-catalog.ts';
import {
  PluginCompatibilityError,
  engineApiProblem,
  pluginApiVersion,
  pluginFromDeclaration,
  pluginFromEntry,
} from './plugin-api.ts';
import { type PluginLoadError, loadPluginDir, loadRequiredPlugins } from './plugin-loader.ts';
import { hashTree, writeReceipt } from './plugin-lock.ts';
import { validateConfigText } from './validate/index.ts';

const major = pluginApiVersion.split('.')[0]!;
const manifest = (over: Record<string, unknown> = {}) => ({
  name: 'hello',
  version: '1.0.0',
  description: 'hello',
  tier: 'community' as const,
  engineApi: `^${major}.0`,
  capabilities: { stepTypes: ['step.hello'] },
  ...over,
});
const step = (spec: { name: string; type: string }) => ({
  name: spec.name,
  type: spec.type,
  execute: async () => ({}),
});

test('a range that excludes this engine is refused, naming both versions', () => {
  assert.equal(engineApiProblem({ name: 'a', version: '1.0.0', engineApi: `^${major}.0` }), undefined);
  const why = engineApiProblem({ name: 'a', version: '2.3.4', engineApi: `^${Number(major) + 1}.0` })!;
  assert.match(why, new RegExp(`"a@2\\.3\\.4" needs engine plugin API \\^${Number(major) + 1}\\.0`));
  assert.match(why, new RegExp(`this engine provides plugin API ${pluginApiVersion.replaceAll('.', '\\.')}`));
  assert.match(engineApiProblem({ name: 'a', version: '1.0.0', engineApi: 'soon' })!, /not a version range/);
});

test('the catalog refuses an incompatible plugin; the built-in list states the same range', () => {
  const incompatible: EnginePlugin = { manifest: { ...manifest({ engineApi: '^99.0' }) }, steps: { 'step.x': step } };
  assert.throws(() => new PluginCatalog([incompatible]), PluginCompatibilityError);
  const r = validateConfigText('pipelines: {}', { plugins: [incompatible], allowNoEntryPoints: true });
  assert.equal(r.ok, false);
  assert.match(r.errors[0]!.message, /needs engine plugin API \^99\.0/);
});

test('entry forms: named exports, a default object, a default function given the API and its directory', async () => {
  const named = await pluginFromEntry(manifest(), { steps: { 'step.hello': step } }, 'named', '/p');
  assert.deepEqual(Object.keys(named.steps!), ['step.hello']);
  const object = await pluginFromEntry(manifest(), { default: { steps: { 'step.hello': step } } }, 'object', '/p');
  assert.deepEqual(Object.keys(object.steps!), ['step.hello']);
  let seen: { version?: string; dir?: string } = {};
  const fn = await pluginFromEntry(
    manifest(),
    {
      default: (api, self) => {
        seen = { version: api.version, dir: self.dir };
        return { steps: { 'step.hello': step } };
      },
    },
    'function',
    '/plugins/hello',
  );
  assert.deepEqual(seen, { version: pluginApiVersion, dir: '/plugins/hello' });
  assert.equal(fn.manifest.engineApi, `^${major}.0`);
});

test('an entry and its manifest must agree on the types, and must export something', async () => {
  await assert.rejects(
    pluginFromEntry(manifest(), { steps: { 'step.hello': step, 'step.extra': step } }, 'here', '/p'),
    /registers step\.extra not listed in capabilities\.stepTypes/,
  );
  await assert.rejects(
    pluginFromEntry(manifest(), { steps: {} }, 'here', '/p'),
    /lists step\.hello .* but does not register it/,
  );
  await assert.rejects(pluginFromEntry(manifest(), {}, 'here', '/p'), /exports no factories/);
  await assert.rejects(
    pluginFromEntry(manifest(), { steps: { 'step.hello': 'nope' as never } }, 'here', '/p'),
    /steps\["step\.hello"\] is not a factory function/,
  );
});

test('a declared plugin validates configs that use its types without its code', () => {
  const declared = pluginFromDeclaration(
    manifest({ capabilities: { stepTypes: ['step.hello'], workflowHandlers: ['greetings'] } }),
  );
  const config =
    'pipelines:\n  p:\n    steps:\n      - name: a\n        type: step.hello\nworkflows:\n  greetings: {}\n';
  assert.equal(validateConfigText(config, { plugins: [declared], allowNoEntryPoints: true }).ok, true);
  assert.throws(
    () => declared.steps!['step.hello']!({ name: 'a', type: 'step.hello', config: {}, pipeline: 'p' }, {} as never),
    /declared, not loaded/,
  );
});

function pluginDir(
  root: string,
  over: Record<string, unknown> = {},
  code = "export const steps = { 'step.hello': (s) => ({ name: s.name, type: s.type, execute: async () => ({ " +
    'output: { hi: 1 } }) }) };\n',
) {
  const dir = join(root, String(over.name ?? 'hello'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest(over)));
  writeFileSync(join(dir, 'index.js'), code);
  return dir;
}

test('loading a directory checks the API before any code runs', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plugin-api-'));
  try {
    const ok = await loadPluginDir(pluginDir(root));
    assert.equal(ok.manifest.name, 'hello');
    const future = pluginDir(
      root,
      { name: 'future', engineApi: '^99.0' },
      'globalThis.__pluginRan = true; export const steps = {};\n',
    );
    await assert.rejects(loadPluginDir(future), PluginCompatibilityError);
    assert.equal((globalThis as { __pluginRan?: boolean }).__pluginRan, undefined, 'the entry never ran');
    const noRange = pluginDir(root, { name: 'norange', engineApi: undefined });
    await assert.rejects(loadPluginDir(noRange), /states no "engineApi"/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test(
  'requires.plugins: built-ins need nothing; others must be locked, installed as locked, and licensed when ' +
    'premium',
  async () => {
    const root = mkdtempSync(join(tmpdir(), 'plugin-req-'));
    try {
      const pluginsDir = join(root, 'plugins');
      const dir = pluginDir(pluginsDir);
      const locked = { name: 'hello', version: '1.0.0', sha256: 'ab'.repeat(32) };
      writeReceipt(dir, { ...locked, sha256: locked.sha256, files: hashTree(dir) });
      const builtin: EnginePlugin = {
        manifest: { name: 'workflow-plugin-http', version: '1.0.0', description: '', tier: 'core' },
      };
      const config = (version = '^1.0.0') => ({
        requires: { plugins: [{ name: 'http' }, { name: 'hello', version }] },
      });
      const opts = { builtins: [builtin], configDir: root, pluginDir: pluginsDir, lockPath: 'wfctl.lock' };

      const loaded = await loadRequiredPlugins(config(), { ...opts, lock: { lockfileVersion: 1, plugins: [locked] } });
      assert.deepEqual(
        loaded.map((p) => p.manifest.name),
        ['hello'],
      );

      await assert.rejects(
        loadRequiredPlugins(config(), { ...opts, lock: { lockfileVersion: 1, plugins: [] } }),
        (err: PluginLoadError) =>
          /not in wfctl\.lock; install it: wfctl plugin install hello@\^1\.0\.0/.test(err.problems[0]!),
      );
      await assert.rejects(
        loadRequiredPlugins(config('^2.0.0'), { ...opts, lock: { lockfileVersion: 1, plugins: [locked] } }),
        /version 1\.0\.0 does not satisfy "\^2\.0\.0"/,
      );
      await assert.rejects(
        loadRequiredPlugins(config(), {
          ...opts,
          lock: { lockfileVersion: 1, plugins: [{ ...locked, sha256: 'cd'.repeat(32) }] },
        }),
        /installed from an archive with sha256 abababababab\.\.\., but the lock pins cdcdcdcdcdcd/,
      );

      const premium = pluginDir(join(root, 'premium-plugins'), { name: 'hello', tier: 'premium' });
      writeReceipt(premium, { ...locked, files: hashTree(premium) });
      const premiumOpts = {
        ...opts,
        pluginDir: join(root, 'premium-plugins'),
        lock: { lockfileVersion: 1 as const, plugins: [locked] },
      };
      await assert.rejects(loadRequiredPlugins(config(), premiumOpts), /premium plugin "hello" needs a license/);
      const licensed = await loadRequiredPlugins(config(), { ...premiumOpts, licenseGate: async () => undefined });
      assert.equal(licensed[0]!.manifest.tier, 'premium');
      await assert.rejects(
        loadRequiredPlugins(config(), {
          ...premiumOpts,
          licenseGate: async (p) => `license does not include premium plugin "${p.name}"`,
        }),
        /license does not include premium plugin "hello"/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);
