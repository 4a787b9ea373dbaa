// The auth types on the real engine over real HTTP: auth.token-blacklist (memory and a real
// redis-server) with step.token_revoke and step.auth_validate in front of auth.jwt, and auth.m2m
// issuing client-credentials tokens that another app's http.client fetches and uses.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Engine, formatIssue, silentLogger, validateConfigText } from '../../engine/index.ts';
import { corePlugins } from '../index.ts';
import { requestJson, startRedisServer } from '../testing/index.ts';

const plugins = corePlugins;
const dir = mkdtempSync(join(tmpdir(), 'wf-auth-flows-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = 'a-test-secret-that-is-32-bytes-long!!';

async function start(yaml: string) {
  const engine = await Engine.fromText(yaml, {
    plugins,
    logger: silentLogger(),
    baseDir: dir,
    dataDir: join(dir, 'data'),
    httpAddress: '127.0.0.1:0',
  });
  await engine.start();
  after(() => engine.stop({ drainTimeoutMs: 200 }));
  const address = engine.address();
  return { engine, url: address ? `http://127.0.0.1:${address.port}` : '' };
}

const jwtApp = (blacklist: string) => `
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: auth, type: auth.jwt, config: { secret: "${SECRET}" } }
  - { name: revoked, type: auth.token-blacklist, config: ${blacklist} }
  - { name: guard, type: http.middleware.auth, dependsOn: [auth] }
  - { name: notes, type: api.handler, config: { resourceName: notes } }
workflows:
  http:
    routes:
      - { method: POST, path: /auth/register, handler: auth }
      - { method: GET, path: /notes, handler: notes, middlewares: [guard] }
pipelines:
  whoami:
    trigger: { type: http, config: { method: GET, path: /whoami } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_headers: [Authorization] } }
      - name: check
        type: step.auth_validate
        config: { auth_module: auth, token_source: steps.parse.headers.Authorization, subject_field: user_id }
      - { name: out, type: step.json_response, config: { body: { user: "{{ .user_id }}", email: "{{ .email }}" } } }
  logout:
    trigger: { type: http, config: { method: POST, path: /logout } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_headers: [Authorization] } }
      - name: revoke
        type: step.token_revoke
        config: { blacklist_module: revoked, token_source: steps.parse.headers.Authorization }
      - { name: out, type: step.json_response, config: { body_from: steps.revoke } }
`;

async function revokeFlow(url: string) {
  const reg = await requestJson(`${url}/auth/register`, {
    method: 'POST',
    body: { email: 'ann@example.com', password: 'correct horse' },
  });
  assert.equal(reg.status, 201);
  const auth = { authorization: `Bearer ${(reg.json as { token: string }).token}` };

  const me = await requestJson(`${url}/whoami`, { headers: auth });
  assert.deepEqual([me.status, me.json], [200, { user: '1', email: 'ann@example.com' }]);
  const anonymous = await requestJson(`${url}/whoami`);
  assert.deepEqual(
    [anonymous.status, anonymous.json],
    [401, { error: 'unauthorized', message: 'missing or empty authorization header' }],
  );
  assert.equal((await requestJson(`${url}/whoami`, { headers: { authorization: 'Basic eDp5' } })).status, 401);
  assert.equal((await requestJson(`${url}/notes`, { headers: auth })).status, 200);

  const out = await requestJson(`${url}/logout`, { method: 'POST', headers: auth });
  assert.equal(out.status, 200);
  assert.equal((out.json as { revoked: boolean }).revoked, true);
  assert.match((out.json as { jti: string }).jti, /\w/);
  const after = await requestJson(`${url}/whoami`, { headers: auth });
  assert.deepEqual([after.status, (after.json as { message: string }).message], [401, 'invalid token']);
  assert.equal((await requestJson(`${url}/notes`, { headers: auth })).status, 401, 'the middleware refuses it too');
  const junk = await requestJson(`${url}/logout`, { method: 'POST', headers: { authorization: 'Bearer junk' } });
  assert.deepEqual(junk.json, { revoked: false, error: 'invalid token format' });
}

test('token_revoke puts a token on the memory blacklist; auth_validate and auth.jwt refuse it', async () => {
  const { url } = await start(jwtApp('{}'));
  await revokeFlow(url);
});

test('the redis blacklist is shared by every app on the same Redis, with the token lifetime as TTL', async () => {
  const redis = await startRedisServer();
  const { createClient } = await import('@redis/client');
  const client = createClient({ url: `redis://${redis.address}` });
  client.on('error', () => {}); // the server goes away at the end of the test
  let app: Awaited<ReturnType<typeof start>> | undefined;
  try {
    app = await start(jwtApp(`{ backend: redis, redis_url: "redis://${redis.address}" }`));
    await revokeFlow(app.url);
    await client.connect();
    const keys = await client.keys('blacklist:*');
    assert.equal(keys.length, 1);
    const ttl = await client.ttl(keys[0]!);
    assert.ok(ttl > 23 * 3600 && ttl <= 24 * 3600, `TTL ${ttl} s is the token's remaining lifetime (24h tokens)`);
  } finally {
    if (client.isOpen) await client.close();
    await app?.engine.stop({ drainTimeoutMs: 200 });
    await redis.stop();
  }
  await assert.rejects(
    start(jwtApp('{ backend: redis, redis_url: "redis://127.0.0.1:1" }')),
    /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/,
  );
  const r = validateConfigText(jwtApp('{ backend: redis }'), { plugins, file: 'app.yaml' });
  assert.match(
    r.errors.map((i) => formatIssue(i)).join('\n'),
    /app\.yaml:6:\d+: "redis_url" is required for the redis backend/,
  );
});

const m2mApp = (extra = '') => `
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - name: m2m
    type: auth.m2m
    config:
      algorithm: ES256
      issuer: platform
      tokenExpiry: 10m
      clients:
        - { clientId: billing, clientSecret: b-secret, scopes: [invoices:read, invoices:write], claims: { team: fin } }
        - { clientId: reports, clientSecret: r-secret, scopes: [invoices:read] }
      ${extra}
workflows:
  http:
    routes:
      - { method: POST, path: /oauth/token, handler: m2m }
      - { method: POST, path: /oauth/revoke, handler: m2m }
      - { method: POST, path: /oauth/introspect, handler: m2m }
      - { method: GET, path: /oauth/jwks, handler: m2m }
pipelines:
  invoices:
    trigger: { type: http, config: { method: GET, path: /api/invoices } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_headers: [Authorization] } }
      - name: who
        type: step.auth_validate
        config: { auth_module: m2m, token_source: steps.parse.headers.Authorization }
      - name: out
        type: step.json_response
        config: { body: { client: "{{ .auth_user_id }}", scope: "{{ .scope }}", team: "{{ .team }}" } }
`;

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  rawBody: new URLSearchParams(fields).toString(),
});

test('auth.m2m issues client-credentials tokens that another app fetches through http.client', async () => {
  const server = await start(m2mApp());
  const token = await requestJson(
    `${server.url}/oauth/token`,
    form({
      grant_type: 'client_credentials',
      client_id: 'reports',
      client_secret: 'r-secret',
    }),
  );
  assert.equal(token.status, 200);
  const t = token.json as { access_token: string; token_type: string; expires_in: number; scope: string };
  assert.deepEqual([t.token_type, t.expires_in, t.scope], ['Bearer', 600, 'invoices:read']);

  const bad = await requestJson(
    `${server.url}/oauth/token`,
    form({
      grant_type: 'client_credentials',
      client_id: 'reports',
      client_secret: 'wrong',
    }),
  );
  assert.deepEqual([bad.status, (bad.json as { error: string }).error], [401, 'invalid_client']);
  const scope = await requestJson(`${server.url}/oauth/token`, {
    ...form({ grant_type: 'client_credentials', scope: 'invoices:write' }),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('reports:r-secret').toString('base64')}`,
    },
  });
  assert.deepEqual([scope.status, (scope.json as { error: string }).error], [400, 'invalid_scope']);
  const grant = await requestJson(`${server.url}/oauth/token`, form({ grant_type: 'password' }));
  assert.deepEqual([grant.status, (grant.json as { error: string }).error], [400, 'unsupported_grant_type']);

  const jwks = await requestJson(`${server.url}/oauth/jwks`);
  const key = (jwks.json as { keys: Array<{ kty: string; crv: string; kid: string }> }).keys[0]!;
  assert.deepEqual([key.kty, key.crv, key.kid], ['EC', 'P-256', 'm2m-key']);

  // a second app calls the first through an http.client that fetches tokens itself
  const caller = await start(`
modules:
  - name: invoicing
    type: http.client
    config:
      base_url: ${server.url}/api
      auth:
        type: oauth2_client_credentials
        token_url: ${server.url}/oauth/token
        client_id: billing
        client_secret: b-secret
        scopes: [invoices:read]
pipelines:
  fetch:
    steps:
      - { name: call, type: step.http_call, config: { client: invoicing, url: /invoices } }
`);
  const out = await caller.engine.executePipeline('fetch', {});
  assert.deepEqual(out.body, { client: 'billing', scope: 'invoices:read', team: 'fin' });

  // introspection: a caller may inspect its own token; another client may not (allowOthers: false)
  const own = await requestJson(`${server.url}/oauth/introspect`, {
    ...form({ token: t.access_token }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${t.access_token}` },
  });
  assert.deepEqual(
    [own.status, (own.json as { active: boolean; client_id: string; iss: string }).client_id],
    [200, 'reports'],
  );
  const other = await requestJson(`${server.url}/oauth/introspect`, {
    ...form({ token: t.access_token }),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('billing:b-secret').toString('base64')}`,
    },
  });
  assert.equal(other.status, 403);

  // revocation (RFC 7009): the token is dead everywhere the module checks tokens
  const revoke = await requestJson(
    `${server.url}/oauth/revoke`,
    form({
      token: t.access_token,
      client_id: 'reports',
      client_secret: 'r-secret',
    }),
  );
  assert.equal(revoke.status, 200);
  const dead = await requestJson(`${server.url}/api/invoices`, {
    headers: { authorization: `Bearer ${t.access_token}` },
  });
  assert.equal(dead.status, 401);
  assert.equal((await requestJson(`${server.url}/oauth/revoke`, form({ token: 'x' }))).status, 401);
});

test('auth.m2m config errors are located: a short HS256 secret, a client without a secret', async () => {
  const hs = m2mApp().replace('algorithm: ES256', 'algorithm: HS256\n      secret: too-short');
  const r = validateConfigText(hs, { plugins, file: 'app.yaml' });
  assert.match(r.errors.map((i) => formatIssue(i)).join('\n'), /app\.yaml:9:15: "secret" must be at least 32 bytes/);
  await assert.rejects(
    start(m2mApp().replace('clientSecret: r-secret, ', '')),
    (err: unknown) => err instanceof ConfigError && /"clients\[1\]\.clientSecret" is required/.test(err.message),
  );
});
