// `wfctl run` of an app that keeps its credentials in Vault (the local KV v2 stand-in): the token comes
// from the environment (`${VAULT_TOKEN}`), secrets are written, read and rotated over real HTTP, and
// nothing the process prints, at debug level, contains the token or a secret value.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestJson, startVaultStandin, waitFor } from '../plugins/testing/index.ts';

const wfctl = new URL('../bin/wfctl.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'wf-secrets-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('wfctl run: secrets.vault with the token from the environment; no secret in its output', {
  timeout: 60_000,
}, async () => {
  const token = 'hvs.cli-root-token';
  const vault = await startVaultStandin({ token });
  after(() => vault.close());
  vault.write('apps/billing', { stripe_key: 'sk_live_cli_123' });
  const config = join(dir, 'app.yaml');
  writeFileSync(
    config,
    `
name: secrets-cli
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - name: vault
    type: secrets.vault
    config: { address: "${vault.url}", token: "\${VAULT_TOKEN}" }
pipelines:
  key-length:
    trigger: { type: http, config: { method: GET, path: "/apps/{app}/key-length" } }
    steps:
      - { name: parse, type: step.request_parse, config: { path_params: [app] } }
      - name: fetch
        type: step.secret_fetch
        config: { module: vault, secrets: { key: "apps/{{ .steps.parse.path_params.app }}#stripe_key" } }
      - { name: out, type: step.json_response, config: { body: { length: "{{ len .steps.fetch.key }}" } } }
  store:
    trigger: { type: http, config: { method: POST, path: /webhook-secret } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true } }
      - name: save
        type: step.secret_set
        config: { module: vault, secrets: { "apps/billing#webhook": "{{ .steps.parse.body.secret }}" } }
      - { name: out, type: step.json_response, config: { body: { saved: true } } }
  rotate:
    trigger: { type: http, config: { method: POST, path: /rotate } }
    steps:
      - { name: rotate, type: step.secret_rotate, config: { provider: vault, key: "apps/billing#stripe_key" } }
      - { name: out, type: step.json_response, config: { body_from: steps.rotate } }
`,
  );
  const child = spawn(process.execPath, [wfctl, 'run', config, '--log-level', 'debug'], {
    env: { ...process.env, VAULT_TOKEN: token, WORKFLOW_ADDR: '127.0.0.1:0', WORKFLOW_DATA_DIR: join(dir, 'data') },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await waitFor(() => /listening on (http:\/\/[\d.]+:\d+)/.exec(output)?.[1], 30_000, 'wfctl run');

    const len = await requestJson(`${url}/apps/billing/key-length`);
    assert.equal(len.status, 200, len.text);
    assert.deepEqual(len.json, { length: String('sk_live_cli_123'.length) });
    const saved = await requestJson(`${url}/webhook-secret`, { method: 'POST', body: { secret: 'whsec_cli_456' } });
    assert.equal(saved.status, 200, saved.text);
    assert.deepEqual(vault.read('apps/billing'), { stripe_key: 'sk_live_cli_123', webhook: 'whsec_cli_456' });
    const rotated = await requestJson(`${url}/rotate`, { method: 'POST' });
    assert.deepEqual(rotated.json, { rotated: true, key: 'apps/billing#stripe_key', provider: 'vault' });
    const newKey = vault.read('apps/billing')!.stripe_key as string;
    assert.match(newKey, /^[0-9a-f]{64}$/);
    const missing = await requestJson(`${url}/apps/nobody/key-length`);
    assert.equal(missing.status, 500);
    assert.match(missing.json.error, /vault: no secret at "apps\/nobody"/);
    assert.ok(
      vault.requests.every((r) => r.token === token),
      'the token from the environment reached Vault',
    );

    process.kill(-child.pid!, 'SIGTERM');
    assert.equal(await exited, 0, output);
    assert.match(output, /vault secrets ready/, 'the debug logs were read');
    assert.match(output, /step failed/);
    for (const secret of [token, 'sk_live_cli_123', 'whsec_cli_456', newKey])
      assert.ok(!output.includes(secret), `wfctl run's output does not contain ${secret}`);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
