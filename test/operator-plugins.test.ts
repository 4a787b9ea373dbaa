// spec.plugins resolved through a real registry server (the upstream corpus registry in a temp git
// repository): exact version and sha256 in status.resolvedPlugins and in the ConfigMap's plugin lock;
// an unsatisfiable range and an unreachable registry stop the rollout with a clear condition.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pino from 'pino';
import { startRegistryServer, type RegistryServer } from '../registry-index/index.ts';
import { registryPluginResolver } from '../operator/index.ts';
import { appManifest, condition, eventually, startHarness, type Harness } from './operator-harness.ts';
import { corpusRepo, tempDir } from './registry-support.ts';

let h: Harness;
let registry: RegistryServer;
let dirs: ReturnType<typeof tempDir>;

before(async () => {
  dirs = tempDir('operator-plugins-');
  const repo = join(dirs.path, 'repo');
  corpusRepo(repo);
  registry = await startRegistryServer({ repo, schedule: null, logger: pino({ level: 'silent' }) });
  await registry.initialSync;
  h = await startHarness({ pods: 'none' });
  await h.startOperator({ plugins: registryPluginResolver({ url: registry.url }) });
});
after(async () => {
  await h?.stop();
  await registry?.close().catch(() => undefined);
  dirs?.cleanup();
});

const app = (name: string, plugins: string) => appManifest(name, { spec: [`plugins: ${plugins}`] });

test('plugins resolve to exact versions with the linux/amd64 sha256, in status and in the plugin lock', {
  timeout: 60_000,
}, async () => {
  await h.apply(app('with-plugins', '[{ name: authz, version: "^0.6.0" }, { name: actors, version: "1.x" }]'));
  const a = await eventually('PluginsResolved', async () => {
    const x = await h.json('get', 'wfa', 'with-plugins');
    return condition(x, 'PluginsResolved')?.status === 'True' && x.status.resolvedPlugins && x;
  });
  const byName = Object.fromEntries(a.status.resolvedPlugins.map((p: any) => [p.name, p]));
  assert.equal(byName.authz.version, '0.6.0');
  assert.equal(byName.authz.range, '^0.6.0');
  assert.match(byName.authz.sha256, /^[0-9a-f]{64}$/);
  assert.match(byName.authz.url, /linux-amd64/);
  assert.equal(byName.actors.version, '1.0.0');
  const cm = await eventually('ConfigMap', () =>
    h.json('get', 'configmap', 'with-plugins-config').catch(() => undefined),
  );
  const lock = JSON.parse(cm.data['plugins.lock.json']);
  assert.deepEqual(
    lock.plugins.map((p: any) => `${p.name}@${p.version}`),
    ['actors@1.0.0', 'authz@0.6.0'],
  );
  assert.equal(lock.plugins[1].sha256, byName.authz.sha256);
});

test("an unsatisfiable range is a PluginsResolved=False with the registry's answer, and nothing is applied", {
  timeout: 60_000,
}, async () => {
  await h.apply(app('bad-range', '[{ name: authz, version: "^9.0.0" }]'));
  const a = await eventually('PluginsResolved=False', async () => {
    const x = await h.json('get', 'wfa', 'bad-range');
    return condition(x, 'PluginsResolved')?.status === 'False' && x;
  });
  assert.equal(condition(a, 'PluginsResolved').reason, 'ResolutionFailed');
  assert.match(condition(a, 'PluginsResolved').message, /authz@\^9\.0\.0.*no version of authz satisfies/);
  assert.equal(a.status.phase, 'Failed');
  await assert.rejects(h.kubectl('get', 'deployment', 'bad-range'), /NotFound|not found/);
});

test('an unreachable registry is RegistryUnavailable (retried), not a spec error', {
  timeout: 60_000,
}, async () => {
  await registry.close();
  await h.apply(app('registry-down', '[{ name: bento, version: "*" }]'));
  const a = await eventually('RegistryUnavailable', async () => {
    const x = await h.json('get', 'wfa', 'registry-down');
    return condition(x, 'PluginsResolved')?.status === 'False' && x;
  });
  assert.equal(condition(a, 'PluginsResolved').reason, 'RegistryUnavailable');
  assert.match(condition(a, 'PluginsResolved').message, /cannot reach the registry/);
});
