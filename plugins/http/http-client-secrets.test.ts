// http.client reading its credentials from a secrets provider (secrets.vault on the local Vault KV v2
// stand-in): bearer_token_ref, client_id_from_secret / client_secret_from_secret, and
// oauth2_refresh_token with the token kept (and written back) in Vault. A local API and a stand-in
// OAuth2 token endpoint (RFC 6749 4.4 and 6 shapes) play the outside world.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, Engine, formatIssue, validateConfigText } from '../../engine/index.ts';
import { pipelineStepsPlugin } from '../pipelinesteps/index.ts';
import { secretsPlugin } from '../secrets/index.ts';
import { startVaultStandin } from '../testing/index.ts';
import { httpPlugin } from './index.ts';

const plugins = [httpPlugin, pipelineStepsPlugin, secretsPlugin];
const dir = mkdtempSync(join(tmpdir(), 'wf-client-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'hvs.client-test';

async function build(yaml: string, opts: { start?: boolean } = {}) {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const engine = await Engine.fromText(yaml, {
    plugins,
    logger: createLogger({ level: 'debug', destination }),
    baseDir: dir,
    httpAddress: '127.0.0.1:0',
  });
  after(() => engine.stop());
  if (opts.start !== false) await engine.start();
  return { engine, logs };
}

/** A token endpoint (client_credentials and refresh_token grants) and an API that accepts the last token. */
async function oauthWorld() {
  let issued = 0;
  let current = '';
  const grants: Array<{ form: URLSearchParams; authorization?: string }> = [];
  const apiAuth: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.url === '/oauth/token') {
        const form = new URLSearchParams(body);
        grants.push({ form, authorization: req.headers.authorization });
        const basic = Buffer.from('svc:s3cret').toString('base64');
        const clientOk =
          req.headers.authorization === `Basic ${basic}` ||
          (form.get('client_id') === 'svc' && form.get('client_secret') === 's3cret');
        if (!clientOk) return reply(401, { error: 'invalid_client' });
        if (form.get('grant_type') === 'refresh_token' && form.get('refresh_token') !== 'rt-1')
          return reply(400, { error: 'invalid_grant', error_description: 'unknown refresh token' });
        current = `at-${++issued}`;
        return reply(200, { access_token: current, token_type: 'Bearer', expires_in: 3600 });
      }
      apiAuth.push(req.headers.authorization ?? '');
      if (req.headers.authorization !== `Bearer ${current}`) return reply(401, { error: 'bad token' });
      return reply(200, { ok: true, token: current });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    grants,
    apiAuth,
    setCurrent: (t: string) => (current = t),
  };
}

const vaultModule = (url: string) => `
  - name: vault
    type: secrets.vault
    config: { address: "${url}", token: "${TOKEN}" }`;

test('bearer_token_ref and client_id/secret_from_secret are read from the secrets module at start', async () => {
  const vault = await startVaultStandin({ token: TOKEN });
  after(() => vault.close());
  const world = await oauthWorld();
  vault.write('apis/static', { token: 'static-bearer-9' });
  vault.write('apis/oauth', { id: 'svc', secret: 's3cret' });
  world.setCurrent('static-bearer-9');
  const { engine, logs } = await build(`
modules:${vaultModule(vault.url)}
  - name: static
    type: http.client
    config:
      base_url: ${world.url}
      auth: { type: static_bearer, bearer_token_ref: { provider: vault, key: "apis/static#token" } }
  - name: oauth
    type: http.client
    config:
      base_url: ${world.url}
      auth:
        type: oauth2_client_credentials
        token_url: ${world.url}/oauth/token
        client_id_from_secret: { provider: vault, key: "apis/oauth#id" }
        client_secret_from_secret: { provider: vault, key: "apis/oauth#secret" }
pipelines:
  static:
    steps: [{ name: call, type: step.http_call, config: { client: static, url: /data } }]
  oauth:
    steps: [{ name: call, type: step.http_call, config: { client: oauth, url: /data } }]
`);
  const s = await engine.executePipeline('static', {});
  assert.equal((s.body as { token: string }).token, 'static-bearer-9');
  const o = await engine.executePipeline('oauth', {});
  assert.equal((o.body as { token: string }).token, 'at-1');
  assert.equal(world.grants[0]!.form.get('client_id'), 'svc');
  assert.equal(world.grants[0]!.form.get('client_secret'), 's3cret');
  const logText = logs.join('');
  for (const secret of ['static-bearer-9', 's3cret', 'at-1', TOKEN]) assert.ok(!logText.includes(secret), secret);
});

test('oauth2_refresh_token: the token lives in Vault, is refreshed when expired or refused, written back', async () => {
  const vault = await startVaultStandin({ token: TOKEN });
  after(() => vault.close());
  const world = await oauthWorld();
  const expired = { access_token: 'old', token_type: 'Bearer', refresh_token: 'rt-1', expiry: '2020-01-01T00:00:00Z' };
  const { engine, logs } = await build(`
modules:${vaultModule(vault.url)}
  - name: crm
    type: http.client
    config:
      base_url: ${world.url}
      auth:
        type: oauth2_refresh_token
        token_url: ${world.url}/oauth/token
        client_id: svc
        client_secret: s3cret
        token_secrets: vault
        token_secrets_key: "crm/oauth#value"
pipelines:
  connect:
    steps:
      - name: save
        type: step.secret_set
        config: { module: vault, secrets: { "crm/oauth#value": "{{ json .token }}" } }
  call:
    steps: [{ name: call, type: step.http_call, config: { client: crm, url: /contacts } }]
`);
  await assert.rejects(
    engine.executePipeline('call', {}),
    /http\.client "crm": no OAuth2 token in secrets module "vault" at "crm\/oauth#value"/,
    'no token yet: the module started, the request fails clearly',
  );
  await engine.executePipeline('connect', { token: expired });

  const first = await engine.executePipeline('call', {});
  assert.equal((first.body as { token: string }).token, 'at-1', 'the expired token was refreshed');
  const refresh = world.grants.at(-1)!;
  assert.equal(refresh.form.get('grant_type'), 'refresh_token');
  assert.equal(refresh.form.get('refresh_token'), 'rt-1');
  assert.equal(refresh.authorization, `Basic ${Buffer.from('svc:s3cret').toString('base64')}`);
  const persisted = JSON.parse(vault.read('crm/oauth')!.value as string) as typeof expired;
  assert.equal(persisted.access_token, 'at-1', 'the refreshed token was written back to Vault');
  assert.equal(persisted.refresh_token, 'rt-1', 'the refresh token is kept when the server does not rotate it');
  assert.ok(Date.parse(persisted.expiry) > Date.now(), 'with its new expiry');

  await engine.executePipeline('call', {});
  assert.equal(world.grants.length, 1, 'a valid token is reused, not refreshed');

  world.setCurrent('revoked-elsewhere');
  const again = await engine.executePipeline('call', {});
  assert.equal((again.body as { token: string }).token, 'at-2', 'a 401 forces a refresh and one retry');
  assert.equal(world.grants.length, 2);

  await engine.executePipeline('connect', { token: { ...expired, refresh_token: 'rt-unknown' } });
  await assert.rejects(
    engine.executePipeline('call', {}).then(() => {
      world.setCurrent('revoked-again');
      return engine.executePipeline('call', {});
    }),
    /refreshing the OAuth2 token at .* failed: HTTP 400: invalid_grant: unknown refresh token/,
  );
  const logText = logs.join('');
  for (const secret of ['rt-1', 'rt-unknown', 'at-1', 'at-2', 's3cret', TOKEN])
    assert.ok(!logText.includes(secret), `the engine's logs do not contain ${secret}`);
});

test('secret references: located config errors, and clear start errors', async () => {
  const vault = await startVaultStandin({ token: TOKEN });
  after(() => vault.close());
  const issues = (yaml: string) =>
    validateConfigText(yaml, { plugins, file: 'app.yaml' })
      .errors.map((i) => formatIssue(i))
      .join('\n');
  const base = `modules:
  - name: api
    type: http.client
    config:
      auth:
        type: static_bearer
        bearer_token_ref: { provider: vault, key: "a#b" }
`;
  assert.equal(issues(base), '');
  assert.match(issues(base.replace(', key: "a#b"', '')), /app\.yaml:7:27: "auth.bearer_token_ref.key" is required/);
  assert.match(
    issues(base.replace('bearer_token_ref: { provider: vault, key: "a#b" }', 'bearer_token_ref: vault')),
    /app\.yaml:7:27: "auth.bearer_token_ref" must be a map \{provider, key\}/,
  );
  assert.match(
    issues(base.replace('type: static_bearer', 'type: oauth2_refresh_token\n        token_url: http://x/t')),
    /"auth.token_secrets" is required for oauth2_refresh_token/,
  );

  const { engine } = await build(
    `modules:${vaultModule(vault.url)}
  - name: api
    type: http.client
    config:
      auth: { type: static_bearer, bearer_token_ref: { provider: vault, key: "missing#token" } }
`,
    { start: false },
  );
  await assert.rejects(engine.start(), /http\.client "api": resolving bearer_token_ref: vault: no secret at "missing"/);
  const { engine: wrong } = await build(
    `modules:
  - name: api
    type: http.client
    config:
      auth: { type: static_bearer, bearer_token_ref: { provider: nowhere, key: k } }
`,
    { start: false },
  );
  await assert.rejects(
    wrong.start(),
    /http\.client "api": "auth.bearer_token_ref" names secrets module "nowhere", which is not a module of this app/,
  );
});
