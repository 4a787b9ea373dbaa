// auth.oauth2 against a local stand-in provider with the documented shapes (RFC 6749 4.1: an
// authorize redirect, a token endpoint taking HTTP Basic client authentication, a userinfo endpoint),
// auth.user-store shared by two auth.jwt modules, and step.authz_check asking policy.mock.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, formatIssue, silentLogger, validateConfigText } from '../../engine/index.ts';
import { corePlugins } from '../index.ts';
import { requestJson } from '../testing/index.ts';
import { oauthKey } from './oauth2-login.ts';

const dir = mkdtempSync(join(tmpdir(), 'wf-oauth2-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const REDIRECT = 'https://app.example.com/auth/oauth2/standin/callback';

/** The provider: one client (app / app-secret), one user, codes valid once. */
async function standInProvider() {
  const codes = new Set(['good-code']);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.method === 'POST' && url.pathname === '/token') {
        const form = new URLSearchParams(body);
        const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
        if (basic !== 'app:app-secret') return json(401, { error: 'invalid_client' });
        if (form.get('grant_type') !== 'authorization_code' || form.get('redirect_uri') !== REDIRECT)
          return json(400, { error: 'invalid_request' });
        if (!codes.delete(form.get('code') ?? ''))
          return json(400, { error: 'invalid_grant', error_description: 'bad code' });
        return json(200, { access_token: 'provider-token', token_type: 'Bearer', expires_in: 3600 });
      }
      if (req.method === 'GET' && url.pathname === '/userinfo') {
        if (req.headers.authorization !== 'Bearer provider-token') return json(401, { error: 'invalid_token' });
        return json(200, { sub: 'u-42', name: 'Grace Hopper', email: 'grace@example.com' });
      }
      json(404, { error: 'not found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const appYaml = (provider: string) => `
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: users, type: auth.user-store }
  - { name: web, type: auth.jwt, dependsOn: [users], config: { secret: web-secret, issuer: web, userStore: users } }
  - { name: api, type: auth.jwt, dependsOn: [users], config: { secret: api-secret, issuer: api, userStore: users } }
  - name: sso
    type: auth.oauth2
    config:
      providers:
        - name: standin
          clientId: app
          clientSecret: app-secret
          authUrl: ${provider}/authorize
          tokenUrl: ${provider}/token
          userInfoUrl: ${provider}/userinfo
          scopes: [openid, profile]
          redirectUrl: ${REDIRECT}
  - { name: open, type: policy.mock }
  - { name: lockdown, type: policy.mock, config: { policies: [{ name: freeze, content: "deny everything" }] } }
workflows:
  http:
    routes:
      - { method: GET, path: "/auth/oauth2/{provider}/login", handler: sso }
      - { method: GET, path: "/auth/oauth2/{provider}/callback", handler: sso }
      - { method: POST, path: /web/auth/register, handler: web }
      - { method: POST, path: /api/auth/login, handler: api }
pipelines:
  report:
    trigger: { type: http, config: { method: GET, path: /report } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_headers: [Authorization] } }
      - name: who
        type: step.auth_validate
        config: { auth_module: web, token_source: steps.parse.headers.Authorization }
      - { name: may, type: step.authz_check, config: { policy_engine: open, subject_field: auth_user_id } }
      - name: out
        type: step.json_response
        config: { body: { user: "{{ .auth_user_id }}", why: "{{ index .reasons 0 }}" } }
  frozen:
    trigger: { type: http, config: { method: GET, path: /frozen } }
    steps:
      - { name: may, type: step.authz_check, config: { policy_engine: lockdown } }
      - { name: never, type: step.json_response, config: { body: { reached: true } } }
`;

test('auth.oauth2 logs a provider user in and hands out the app JWT; authz_check asks policy.mock', async () => {
  const provider = await standInProvider();
  const engine = await Engine.fromText(appYaml(provider), {
    plugins: corePlugins,
    logger: silentLogger(),
    baseDir: dir,
    dataDir: join(dir, 'data'),
    httpAddress: '127.0.0.1:0',
  });
  await engine.start();
  after(() => engine.stop({ drainTimeoutMs: 200 }));
  const url = `http://127.0.0.1:${engine.address()!.port}`;

  const loginAt = async () => {
    const res = await fetch(`${url}/auth/oauth2/standin/login`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.match(res.headers.get('set-cookie') ?? '', /^oauth2_state=[\w-]+; Path=\/; Max-Age=600; HttpOnly; Secure/);
    return new URL(res.headers.get('location')!);
  };
  const to = await loginAt();
  assert.equal(`${to.origin}${to.pathname}`, `${provider}/authorize`);
  assert.deepEqual(
    ['client_id', 'redirect_uri', 'response_type', 'scope'].map((k) => to.searchParams.get(k)),
    ['app', REDIRECT, 'code', 'openid profile'],
  );
  const state = to.searchParams.get('state')!;

  // the browser comes back from the provider with a code
  const cb = await requestJson(`${url}/auth/oauth2/standin/callback?code=good-code&state=${state}`);
  assert.equal(cb.status, 200, cb.text);
  const { token, user } = cb.json as { token: string; user: Record<string, string> };
  assert.deepEqual(
    [user.email, user.name, user.oauthProvider, user.oauthId, user.role],
    ['oauth:standin:u-42', 'Grace Hopper', 'standin', 'u-42', 'user'],
  );
  const replay = await requestJson(`${url}/auth/oauth2/standin/callback?code=good-code&state=${state}`);
  assert.deepEqual([replay.status, replay.json], [400, { error: 'invalid or expired state parameter' }]);
  const second = (await loginAt()).searchParams.get('state');
  const badCode = await requestJson(`${url}/auth/oauth2/standin/callback?code=used&state=${second}`);
  assert.deepEqual([badCode.status, badCode.json], [400, { error: 'token exchange failed: invalid_grant: bad code' }]);
  assert.equal((await requestJson(`${url}/auth/oauth2/nobody/login`)).status, 404);

  // the app's JWT works in the app; the policy engine allows by default
  const report = await requestJson(`${url}/report`, { headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual([report.status, report.json], [200, { user: user.id, why: 'default allow' }]);
  const frozen = await requestJson(`${url}/frozen`);
  assert.deepEqual([frozen.status, frozen.json], [403, { error: 'forbidden: policy "freeze" contains deny rule' }]);

  // two auth.jwt modules share auth.user-store's users: register on one, log in on the other
  const reg = await requestJson(`${url}/web/auth/register`, {
    method: 'POST',
    body: { email: 'ann@example.com', password: 'correct horse' },
  });
  assert.equal(reg.status, 201);
  const login = await requestJson(`${url}/api/auth/login`, {
    method: 'POST',
    body: { email: 'ann@example.com', password: 'correct horse' },
  });
  assert.equal(login.status, 200);
});

test('auth.oauth2, auth.user-store and authz_check config errors are located', async () => {
  const yaml = appYaml('http://127.0.0.1:1').replace('          clientSecret: app-secret\n', '');
  const out = validateConfigText(yaml, { plugins: corePlugins, file: 'app.yaml' }).errors.map((i) => formatIssue(i));
  assert.match(out.join('\n'), /app\.yaml:\d+:\d+: "providers\[0\]\.clientSecret" is required/);
  const custom = appYaml('http://127.0.0.1:1').replace(/ {10}tokenUrl: .*\n/, '');
  assert.match(
    validateConfigText(custom, { plugins: corePlugins, file: 'app.yaml' })
      .errors.map((i) => formatIssue(i))
      .join('\n'),
    /"providers\[0\]\.tokenUrl" is required for a provider other than google and github/,
  );
  const noEngine = appYaml('http://127.0.0.1:1').replace('{ policy_engine: lockdown }', '{}');
  assert.match(
    validateConfigText(noEngine, { plugins: corePlugins, file: 'app.yaml' })
      .errors.map((i) => formatIssue(i))
      .join('\n'),
    /required config key "policy_engine" is missing/,
  );
  const wrongStore = appYaml('http://127.0.0.1:1').replace(
    'userStore: users } }\n  - { name: api',
    'userStore: x } }\n  - { name: api',
  );
  await assert.rejects(
    Engine.fromText(wrongStore, {
      plugins: corePlugins,
      logger: silentLogger(),
      baseDir: dir,
      dataDir: join(dir, 'd'),
    }),
    /"userStore": "x" is not an auth.user-store module of this app/,
  );
});

test('provider ids that differ only in case are different users', () => {
  assert.equal(oauthKey('github', '42'), 'oauth:github:42');
  assert.notEqual(oauthKey('p', 'AbC').toLowerCase(), oauthKey('p', 'abc').toLowerCase());
  assert.notEqual(oauthKey('p', 'AbC').toLowerCase(), oauthKey('p', 'ABC').toLowerCase());
});
