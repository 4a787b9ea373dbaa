// The marketplace steps with upstream's scenario 41 config as it is (vendored corpus), served by the
// engine over HTTP: against a real registry (our git server, registry server and blob store) holding
// a published, signed messaging-kafka plugin, and with no registry configured at all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine, silentLogger } from '../../engine/index.ts';
import { RegistryClient, generateSigningKey, loadSigningKey, publishPlugin } from '../../registry-index/index.ts';
import { pushFiles, startRegistry, until, type Registry } from '../../test/plugin-support.ts';
import { tempDir } from '../../test/registry-support.ts';
import { corePlugins } from '../index.ts';

const corpus = process.env.WORKFLOW_CORPUS ?? new URL('../../test/fixtures/corpus', import.meta.url).pathname;
const scenario = join(corpus, 'workflow-scenarios', 'scenarios', '41-plugin-marketplace', 'config', 'app.yaml');

let dirs: ReturnType<typeof tempDir>;
let reg: Registry;

before(async () => {
  dirs = tempDir('marketplace-');
  reg = await startRegistry(dirs.path);
  const key = loadSigningKey(generateSigningKey().privateKeyPem, 'test key');
  await pushFiles(
    reg,
    {
      [`keys/${key.keyId}.json`]: JSON.stringify({
        keyId: key.keyId,
        publisher: 'tests',
        publicKey: key.publicKey,
        plugins: ['*'],
      }),
    },
    'trust the test key',
  );
  await until('the key', async () => (await fetch(`${reg.registry.url}/api/v1/keys`)).ok);
  const project = join(dirs.path, 'messaging-kafka');
  mkdirSync(project);
  writeFileSync(
    join(project, 'manifest.json'),
    JSON.stringify({
      name: 'messaging-kafka',
      version: '1.0.3',
      engineApi: '^1.0',
      main: 'index.js',
      author: 'tests',
      description: 'Apache Kafka messaging integration',
      type: 'external',
      tier: 'community',
      license: 'MIT',
      category: 'messaging',
      keywords: ['messaging', 'kafka', 'streaming'],
      capabilities: { stepTypes: ['step.kafka_ping'] },
    }),
  );
  writeFileSync(
    join(project, 'index.js'),
    "export const steps = { 'step.kafka_ping': (s) => ({ name: s.name, type: s.type, execute: async () => ({ " +
      'output: { pong: true } }) }) };\n',
  );
  const result = await publishPlugin({
    dir: project,
    key,
    api: new RegistryClient({ baseUrl: reg.registry.url }),
    publishToken: reg.publishToken,
    git: { url: reg.git.repoUrl('registry'), token: reg.token },
  });
  assert.ok(result.push?.ok, result.push?.output);
  await until(
    'messaging-kafka in the registry',
    async () => (await fetch(`${reg.registry.url}/api/v1/plugins/messaging-kafka`)).ok,
  );
});

after(async () => {
  await reg?.close();
  dirs?.cleanup();
});

/** The response bodies are all of the pipeline's data (body_from: "."): compare the step's keys. */
function pick(body: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, body[k]]));
}

async function scenarioApp(dataDir: string, env: Record<string, string | undefined>) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  try {
    const engine = await Engine.fromFile(scenario, {
      plugins: corePlugins,
      logger: silentLogger(),
      httpAddress: '127.0.0.1:0',
      dataDir,
    });
    await engine.start();
    const base = `http://127.0.0.1:${engine.address()!.port}`;
    const call = async (method: string, path: string) => {
      const res = await fetch(`${base}${path}`, {
        method,
        ...(method === 'GET'
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: '{"plugin":"messaging-kafka"}' }),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    return { engine, call };
  } finally {
    process.env = saved;
  }
}

test('scenario 41 against a registry: search, detail, install (verified), installed, update, uninstall', {
  timeout: 180_000,
}, async () => {
  const data = join(dirs.path, 'with-registry');
  const env = {
    WORKFLOW_REGISTRY_URL: reg.registry.url,
    WORKFLOW_PLUGIN_DIR: join(data, 'plugins'),
    WORKFLOW_PLUGIN_LOCK: join(data, 'wfctl.lock'),
  };
  const { engine, call } = await scenarioApp(data, env);
  try {
    const search = await call('GET', '/api/v1/marketplace/search');
    assert.equal(search.status, 200);
    assert.equal(search.body.count, 1);
    assert.equal(search.body.query, 'kafka');
    assert.deepEqual(
      {
        name: search.body.results[0].name,
        category: search.body.results[0].category,
        installed: search.body.results[0].installed,
      },
      { name: 'messaging-kafka', category: 'messaging', installed: false },
    );
    const detail = await call('GET', '/api/v1/marketplace/detail');
    assert.equal(detail.status, 200);
    assert.equal(detail.body.found, true);
    assert.equal(detail.body.plugin.version, '1.0.3');
    assert.deepEqual(detail.body.plugin.tags, ['messaging', 'kafka', 'streaming']);

    const install = await call('POST', '/api/v1/marketplace/install');
    assert.equal(install.status, 200, JSON.stringify(install.body));
    assert.deepEqual(pick(install.body, 'plugin', 'version', 'status', 'success'), {
      plugin: 'messaging-kafka',
      version: '1.0.3',
      status: 'installed',
      success: true,
    });
    assert.ok(existsSync(join(data, 'plugins', 'messaging-kafka', 'index.js')));
    const lock = JSON.parse(readFileSync(join(data, 'wfctl.lock'), 'utf8'));
    assert.equal(lock.plugins[0].name, 'messaging-kafka');
    assert.match(lock.plugins[0].signer, /^[0-9a-f]{16}$/);

    const installed = await call('GET', '/api/v1/marketplace/installed');
    assert.equal(installed.status, 200);
    assert.equal(installed.body.count, 1);
    assert.equal(installed.body.plugins[0].installed, true);
    assert.match(installed.body.plugins[0].installedAt, /^\d{4}-\d\d-\d\dT/);

    const update = await call('POST', '/api/v1/marketplace/update');
    assert.equal(update.status, 200, JSON.stringify(update.body));
    assert.equal(update.body.status, 'updated');
    assert.equal(update.body.plugin.version, '1.0.3');

    const uninstall = await call('DELETE', '/api/v1/marketplace/uninstall');
    assert.equal(uninstall.status, 200);
    assert.deepEqual(pick(uninstall.body, 'plugin', 'status', 'success'), {
      plugin: 'messaging-kafka',
      status: 'uninstalled',
      success: true,
    });
    assert.ok(!existsSync(join(data, 'plugins', 'messaging-kafka')));
    const again = await call('DELETE', '/api/v1/marketplace/uninstall');
    assert.equal(again.status, 500);
    assert.match(again.body.error, /plugin "messaging-kafka" is not installed/);
  } finally {
    await engine.stop();
  }
});

test('scenario 41 without a registry: the installed catalog answers, installs say a registry is needed', {
  timeout: 60_000,
}, async () => {
  const data = join(dirs.path, 'offline');
  const env = {
    WORKFLOW_REGISTRY_URL: undefined,
    WFCTL_REGISTRY_URL: undefined,
    WORKFLOW_PLUGIN_DIR: join(data, 'plugins'),
    WORKFLOW_PLUGIN_LOCK: join(data, 'wfctl.lock'),
  };
  const { engine, call } = await scenarioApp(data, env);
  try {
    const search = (await call('GET', '/api/v1/marketplace/search')).body;
    assert.deepEqual(pick(search, 'results', 'count', 'query'), { results: [], count: 0, query: 'kafka' });
    assert.deepEqual(pick((await call('GET', '/api/v1/marketplace/detail')).body, 'plugin', 'found'), {
      plugin: null,
      found: false,
    });
    assert.deepEqual(pick((await call('GET', '/api/v1/marketplace/installed')).body, 'plugins', 'count'), {
      plugins: [],
      count: 0,
    });
    const install = await call('POST', '/api/v1/marketplace/install');
    assert.equal(install.status, 500);
    assert.match(install.body.error, /no plugin registry is configured: set WORKFLOW_REGISTRY_URL/);
  } finally {
    await engine.stop();
  }
});
