// The plugin lifecycle through Kubernetes: the plugin author scaffolds and publishes with wfctl (keys
// generate, plugin init, publish by git push to our git server; the registry server follows it), then
// a WorkflowApp requiring the plugin reaches Ready on devcluster: the operator resolves it into the
// lock in the app's ConfigMap, and the engine pod fetches and verifies it into an emptyDir at start.
// The same steps one by one, with their checks, are plugin-lifecycle.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registryPluginResolver } from '../operator/index.ts';
import { condition, eventually, startHarness, type Harness } from './operator-harness.ts';
import { pushFiles, startRegistry, until, wfctl, type Registry } from './plugin-support.ts';
import { tempDir } from './registry-support.ts';

let dirs: ReturnType<typeof tempDir>;
let reg: Registry;
let keyId = '';

before(async () => {
  dirs = tempDir('plugin-lifecycle-k8s-');
  reg = await startRegistry(dirs.path);
  const env = {
    WFCTL_KEYS_DIR: join(dirs.path, 'keys'),
    WFCTL_REGISTRY_URL: reg.registry.url,
    WFCTL_PUBLISH_TOKEN: reg.publishToken,
    WFCTL_GIT_TOKEN: reg.token,
  };
  const keys = await wfctl(['keys', 'generate', '--publisher', 'Plugin Tests', '--plugins', 'hello'], { env });
  assert.equal(keys.code, 0, keys.stderr);
  const trusted = JSON.parse(readFileSync(join(env.WFCTL_KEYS_DIR, 'default.pub.json'), 'utf8'));
  keyId = trusted.keyId;
  await pushFiles(reg, { [`keys/${keyId}.json`]: JSON.stringify(trusted, null, 2) }, 'trust the plugin tests key');
  await until('the registry to serve the key', async () => {
    const r = await fetch(`${reg.registry.url}/api/v1/keys`);
    return r.ok && ((await r.json()) as { keys: Array<{ keyId: string }> }).keys.some((k) => k.keyId === keyId);
  });
  const init = await wfctl(['plugin', 'init', 'hello', '--dir', dirs.path], { env });
  assert.equal(init.code, 0, init.stderr);
  const project = join(dirs.path, 'hello');
  const published = await wfctl(['publish', '--dir', project, '--registry-git', reg.git.repoUrl('registry')], { env });
  assert.equal(published.code, 0, published.stdout + published.stderr);
  await until('hello in the registry', async () => (await fetch(`${reg.registry.url}/api/v1/plugins/hello`)).ok);
});

after(async () => {
  await reg?.close();
  dirs?.cleanup();
});

test('the same plugin through Kubernetes: a WorkflowApp requiring it reaches Ready on devcluster', {
  timeout: 600_000,
}, async () => {
  let h: Harness | undefined;
  try {
    h = await startHarness({ pods: 'engine' });
    await h.startOperator({
      plugins: registryPluginResolver({ url: reg.registry.url }),
      pluginRegistryUrl: reg.registry.url,
      builtinPlugins: [],
    });
    await h.apply(`apiVersion: workflow.gocodealone.com/v1alpha1
kind: WorkflowApp
metadata: { name: hello-app, namespace: default }
spec:
  service: { type: LoadBalancer }
  config: |
    requires:
      plugins:
        - name: hello
          version: "^0.1.0"
    modules:
      - name: server
        type: http.server
        config: { address: ":8080" }
      - name: router
        type: http.router
        dependsOn: [server]
    pipelines:
      hello:
        trigger:
          type: http
          config: { method: GET, path: /hello }
        steps:
          - name: greet
            type: step.hello_greet
            config:
              name: '{{ .name | default "world" }}'
          - name: respond
            type: step.json_response
            config:
              status: 200
              body:
                message: "{{ .steps.greet.message }}"
`);
    const ready = await eventually(
      'hello-app Ready',
      async () => {
        const a = await h!.json('get', 'wfa', 'hello-app');
        return condition(a, 'Ready')?.status === 'True' && a;
      },
      300_000,
      500,
    );
    const resolved = ready.status.resolvedPlugins.find((p: { name: string }) => p.name === 'hello');
    assert.equal(resolved.version, '0.1.0');
    assert.equal(resolved.signer, keyId);
    const cm = await h.json('get', 'configmap', 'hello-app-config');
    const lock = JSON.parse(cm.data['plugins.lock.json']);
    assert.equal(lock.plugins[0].sha256, resolved.sha256);
    const pods = await h.json('get', 'pods', '-l', 'app.kubernetes.io/instance=hello-app');
    const pod = pods.items[0];
    assert.ok(pod.spec.volumes.some((v: { name: string; emptyDir?: unknown }) => v.name === 'plugins' && v.emptyDir));
    const endpoint = await eventually(
      'an endpoint',
      async () => (await h!.json('get', 'wfa', 'hello-app')).status?.endpoint,
      60_000,
    );
    const res = await eventually('the step answering', async () => {
      const r = await fetch(`${endpoint.replace(/\/$/, '')}/hello?name=Kube`);
      return r.status === 200 && r.json();
    });
    assert.deepEqual(res, { message: 'Hello, Kube!' });
  } finally {
    await h?.stop();
  }
});
