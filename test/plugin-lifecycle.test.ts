// The plugin lifecycle end to end, as a plugin author and an app team would go through it, with
// wfctl as a child process against our git server and registry server:
//   keys generate -> the key file pushed to the registry repo -> plugin init -> plugin test ->
//   publish (signed, archive in the blob store, manifest by git push) -> init --template api-service
//   -> plugin install (verified, locked) -> run -> the plugin's step answers over HTTP;
// the same plugin through Kubernetes is plugin-lifecycle-kubernetes.test.ts (a file each: both
// together outlast the per-file limit on a loaded machine).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { pushFiles, startApp, startRegistry, until, wfctl, type Registry } from './plugin-support.ts';
import { tempDir } from './registry-support.ts';

let dirs: ReturnType<typeof tempDir>;
let reg: Registry;
let env: Record<string, string>;

before(async () => {
  dirs = tempDir('plugin-lifecycle-');
  reg = await startRegistry(dirs.path);
  env = {
    WFCTL_KEYS_DIR: join(dirs.path, 'keys'),
    WFCTL_REGISTRY_URL: reg.registry.url,
    WFCTL_PUBLISH_TOKEN: reg.publishToken,
    WFCTL_GIT_TOKEN: reg.token,
  };
});

after(async () => {
  await reg?.close();
  dirs?.cleanup();
});

test('scaffold, test, publish by git push, install into an app, run it, call the step over HTTP', {
  timeout: 600_000,
}, async () => {
  // the publisher's key, trusted by the registry repository for this plugin
  const keys = await wfctl(['keys', 'generate', '--publisher', 'Plugin Tests', '--plugins', 'hello'], { env });
  assert.equal(keys.code, 0, keys.stderr);
  const trusted = JSON.parse(readFileSync(join(env.WFCTL_KEYS_DIR!, 'default.pub.json'), 'utf8'));
  const keyId: string = trusted.keyId;
  assert.match(keys.stdout, new RegExp(`keys/${keyId}\\.json`));
  await pushFiles(
    reg,
    { [`keys/${keyId}.json`]: `${JSON.stringify(trusted, null, 2)}\n` },
    'trust the plugin tests key',
  );
  await until('the registry to serve the key', async () => {
    const r = await fetch(`${reg.registry.url}/api/v1/keys`);
    return r.ok && ((await r.json()) as { keys: Array<{ keyId: string }> }).keys.some((k) => k.keyId === keyId);
  });

  const init = await wfctl(['plugin', 'init', 'hello', '--dir', dirs.path], { env });
  assert.equal(init.code, 0, init.stderr);
  const project = join(dirs.path, 'hello');
  for (const f of [
    'manifest.json',
    'src/index.ts',
    'src/greet-step.ts',
    'src/greet-step.test.ts',
    'test/greet_test.yaml',
    'workflow.yaml',
  ])
    assert.ok(existsSync(join(project, f)), `scaffold has ${f}`);

  const tested = await wfctl(['plugin', 'test'], { cwd: project, env });
  assert.equal(tested.code, 0, tested.stdout + tested.stderr);
  assert.match(tested.stdout, /^TAP version 13\n1\.\.3\n/);
  assert.doesNotMatch(tested.stdout, /not ok/);

  const published = await wfctl(['publish', '--dir', project, '--registry-git', reg.git.repoUrl('registry')], { env });
  assert.equal(published.code, 0, published.stdout + published.stderr);
  assert.match(published.stdout, new RegExp(`signed by ${keyId}`));
  assert.match(published.stdout, /published hello@0\.1\.0/);
  const again = await wfctl(['publish', '--dir', project, '--registry-git', reg.git.repoUrl('registry')], { env });
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /hello@0\.1\.0 is already published/);

  const doc = await until('hello in the registry', async () => {
    const r = await fetch(`${reg.registry.url}/api/v1/plugins/hello`);
    return (
      r.ok &&
      ((await r.json()) as {
        versions: Array<{ version: string; downloads: Array<{ url: string; signature?: { keyId: string } }> }>;
      })
    );
  });
  assert.equal(doc.versions[0]!.version, '0.1.0');
  assert.equal(doc.versions[0]!.downloads[0]!.signature?.keyId, keyId);
  assert.match(doc.versions[0]!.downloads[0]!.url, /\/api\/v1\/blobs\/sha256\/[0-9a-f]{64}$/);

  // an app that uses the published plugin
  const app = join(dirs.path, 'shop');
  const created = await wfctl(['init', '--template', 'api-service', app], { env });
  assert.equal(created.code, 0, created.stderr);
  appendFileSync(
    join(app, 'workflow.yaml'),
    `
  hello:
    trigger:
      type: http
      config:
        method: GET
        path: /hello
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

requires:
  plugins:
    - name: hello
      version: "^0.1.0"
`,
  );
  const notInstalled = await wfctl(['validate', 'workflow.yaml'], { cwd: app, env });
  assert.notEqual(notInstalled.code, 0);
  assert.match(
    notInstalled.stdout + notInstalled.stderr,
    /hello.*not in .*wfctl\.lock.*wfctl plugin install hello@\^0\.1\.0/s,
  );

  const installed = await wfctl(['plugin', 'install', 'hello@^0.1.0'], { cwd: app, env });
  assert.equal(installed.code, 0, installed.stderr);
  const lock = JSON.parse(readFileSync(join(app, 'wfctl.lock'), 'utf8'));
  assert.equal(lock.lockfileVersion, 1);
  assert.equal(lock.plugins.length, 1);
  const locked = lock.plugins[0];
  assert.deepEqual(Object.keys(locked).sort(), ['name', 'range', 'sha256', 'signer', 'source', 'version']);
  assert.equal(locked.name, 'hello');
  assert.equal(locked.version, '0.1.0');
  assert.equal(locked.signer, keyId);
  assert.match(locked.sha256, /^[0-9a-f]{64}$/);
  assert.equal(locked.source, `${reg.registry.url}/api/v1/plugins/hello`);
  assert.ok(existsSync(join(app, 'data', 'plugins', 'hello', 'index.js')));

  const listed = await wfctl(['plugin', 'list', '-o', 'json'], { cwd: app, env });
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(
    JSON.parse(listed.stdout).map((p: { name: string; version: string; problem?: string }) => [
      p.name,
      p.version,
      p.problem,
    ]),
    [['hello', '0.1.0', undefined]],
  );
  const valid = await wfctl(['validate', 'workflow.yaml'], { cwd: app, env });
  assert.equal(valid.code, 0, valid.stdout + valid.stderr);

  const running = await startApp('workflow.yaml', { cwd: app, env });
  try {
    const res = await fetch(`${running.url}/hello?name=Ada`);
    assert.equal(res.status, 200, running.output());
    assert.deepEqual(await res.json(), { message: 'Hello, Ada!' });
  } finally {
    await running.stop();
  }

  // an installed copy edited after installation is refused at load
  writeFileSync(join(app, 'data', 'plugins', 'hello', 'index.js'), 'export const steps = {};\n');
  const tampered = await wfctl(['validate', 'workflow.yaml'], { cwd: app, env });
  assert.notEqual(tampered.code, 0);
  assert.match(tampered.stdout + tampered.stderr, /files of .*hello changed since installation \(index\.js\)/);
});
