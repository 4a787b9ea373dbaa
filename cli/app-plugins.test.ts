// A premium plugin loads only under a license whose features include it, decided by license/'s
// validator with real Ed25519 license tokens: no license, a tier without premium plugins, a license
// without the plugin, an expired one and one signed by another key are each refused with their own
// message; the right license loads it. Through pluginsForConfig, what `wfctl run`, `validate`,
// `deploy` and `plugin test` use.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pluginApiVersion, type WorkflowConfig } from '../engine/index.ts';
import { generateKeyPair, issueLicense, publicKeyPem } from '../license/index.ts';
import { licenseGate, pluginsForConfig } from './app-plugins.ts';

const plugin = 'workflow-plugin-vault-pro';
let root = '';
let config: WorkflowConfig;
const signer = generateKeyPair();
const licenseEnv = ['WORKFLOW_LICENSE_KEY', 'WORKFLOW_LICENSE_PUBLIC_KEY', 'WORKFLOW_LICENSE_SERVER'] as const;
const saved = Object.fromEntries(licenseEnv.map((k) => [k, process.env[k]]));

before(() => {
  root = mkdtempSync(join(tmpdir(), 'premium-plugin-'));
  const project = join(root, 'vault-pro');
  mkdirSync(project);
  writeFileSync(
    join(project, 'manifest.json'),
    JSON.stringify({
      name: plugin,
      version: '1.0.0',
      engineApi: `^${pluginApiVersion.split('.')[0]}.0`,
      main: 'index.js',
      author: 'tests',
      description: 'a premium plugin',
      type: 'external',
      tier: 'premium',
      license: 'proprietary',
      capabilities: { stepTypes: ['step.vault_read'] },
    }),
  );
  writeFileSync(
    join(project, 'index.js'),
    `export const steps = { 'step.vault_read': (spec) => ({ name: spec.name, type: spec.type, execute: async () ` +
      `=> ({ output: {} }) }) };\n`,
  );
  config = { requires: { plugins: [{ name: plugin, source: './vault-pro' }] } } as WorkflowConfig;
});

after(() => {
  for (const k of licenseEnv) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  rmSync(root, { recursive: true, force: true });
});

function useLicense(token: string | undefined, publicKey = publicKeyPem(signer.publicKey)): void {
  if (token === undefined) delete process.env.WORKFLOW_LICENSE_KEY;
  else process.env.WORKFLOW_LICENSE_KEY = token;
  process.env.WORKFLOW_LICENSE_PUBLIC_KEY = publicKey;
  delete process.env.WORKFLOW_LICENSE_SERVER;
}

const load = () =>
  pluginsForConfig(
    config,
    { file: 'workflow.yaml', configDir: root },
    { pluginDir: join(root, 'plugins'), lockPath: join(root, 'wfctl.lock') },
  );

const license = (opts: { tier?: string; features?: string[]; now?: number; expires?: string }) =>
  issueLicense({ tenant: 'acme', tier: 'enterprise', ...opts }, signer.privateKey).token;

test('without a license a premium plugin is refused, naming the setting', async () => {
  useLicense(undefined);
  await assert.rejects(load(), /premium plugin "workflow-plugin-vault-pro" needs a license .*WORKFLOW_LICENSE_KEY/);
});

test('a license that includes the plugin loads it; a wildcard license does too', async () => {
  useLicense(license({ features: [plugin] }));
  const plugins = await load();
  assert.ok(plugins.some((p) => p.manifest.name === plugin && p.manifest.tier === 'premium'));
  useLicense(license({ tier: 'professional', features: ['*'] }));
  assert.ok((await load()).some((p) => p.manifest.name === plugin));
});

test('each wrong license is refused with its own reason', async () => {
  const cases: Array<[string, () => void, RegExp]> = [
    [
      'a license without the plugin',
      () => useLicense(license({ features: ['workflow-plugin-other'] })),
      /does not include premium plugin "workflow-plugin-vault-pro" \(features: workflow-plugin-other\)/,
    ],
    [
      'a tier without premium plugins',
      () => useLicense(license({ tier: 'starter', features: [plugin] })),
      /is tier starter, which does not permit premium plugins/,
    ],
    [
      'an expired license',
      () => useLicense(license({ features: [plugin], now: Date.now() - 3 * 86_400_000, expires: '1d' })),
      /needs a valid license: .*expired/i,
    ],
    [
      'a license signed by another key',
      () => useLicense(license({ features: [plugin] }), publicKeyPem(generateKeyPair().publicKey)),
      /needs a valid license: /,
    ],
    [
      'an unreadable public key',
      () => useLicense(license({ features: [plugin] }), '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----'),
      /WORKFLOW_LICENSE_PUBLIC_KEY/,
    ],
  ];
  for (const [what, setup, message] of cases) {
    setup();
    await assert.rejects(load(), (err: Error) => {
      assert.match(err.message, /workflow\.yaml: the plugins it requires cannot be loaded/, what);
      assert.match(err.message, message, what);
      return true;
    });
  }
});

test('the gate answers for the plugin it is asked about, and only premium plugins reach it', async () => {
  useLicense(license({ features: [plugin] }));
  assert.equal(await licenseGate({ name: plugin, version: '1.0.0', tier: 'premium' }), undefined);
  assert.match(
    (await licenseGate({ name: 'workflow-plugin-x', version: '1.0.0', tier: 'premium' }))!,
    /does not include premium plugin "workflow-plugin-x"/,
  );
});
