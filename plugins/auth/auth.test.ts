import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpHandler, WorkflowConfig } from '../../engine/index.ts';
import {
  requestJson,
  serveRoutes,
  startTestApp,
  TestApp,
  type TestServer,
  rejectsWithIssue,
} from '../testing/index.ts';
import { storagePlugin } from '../storage/index.ts';
import {
  authPlugin,
  hashPassword,
  isBcryptHash,
  type JwtAuthModule,
  signHs256,
  verifyHs256,
  verifyPassword,
} from './index.ts';

test('HS256 tokens verify; tampering, alg swaps, expiry and foreign issuers do not', () => {
  const now = 1_700_000_000;
  const token = signHs256({ sub: '1', iss: 'me', iat: now, exp: now + 60 }, 's3cret');
  assert.equal(verifyHs256(token, 's3cret', { nowSeconds: now, issuer: 'me' }).ok, true);
  assert.deepEqual(verifyHs256(token, 'other', { nowSeconds: now }), { ok: false, reason: 'invalid signature' });
  assert.deepEqual(verifyHs256(token, 's3cret', { nowSeconds: now + 61 }), { ok: false, reason: 'token expired' });
  assert.deepEqual(verifyHs256(token, 's3cret', { nowSeconds: now, issuer: 'you' }), {
    ok: false,
    reason: 'token from another issuer',
  });
  const [, payload] = token.split('.');
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
  assert.equal(verifyHs256(none, 's3cret', { nowSeconds: now }).ok, false);
  const forged = token.replace(payload, Buffer.from('{"sub":"2"}').toString('base64url'));
  assert.equal(verifyHs256(forged, 's3cret', { nowSeconds: now }).ok, false);
  assert.deepEqual(verifyHs256('abc', 's3cret'), { ok: false, reason: 'malformed token' });
});

test('scrypt password hashes verify; bcrypt hashes are recognised as unsupported', async () => {
  const hash = await hashPassword('correct horse');
  assert.match(hash, /^scrypt\$16384\$8\$1\$/);
  assert.equal(await verifyPassword('correct horse', hash), 'match');
  assert.equal(await verifyPassword('wrong horse', hash), 'mismatch');
  const bcrypt = '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';
  assert.equal(isBcryptHash(bcrypt), true);
  assert.equal(await verifyPassword('x', bcrypt), 'unsupported-hash');
});

test('a missing secret is a located config error', async () => {
  const app = new TestApp({
    plugins: [authPlugin],
    config: { modules: [{ name: 'auth', type: 'auth.jwt', config: {} }] },
  });
  await rejectsWithIssue(app.build(), 'modules[0].config.secret', /required config key "secret" is missing/);
  await app.stop();
});

async function authServer(app: TestApp): Promise<TestServer> {
  const h = app.services.get<HttpHandler>('auth')!;
  const routes: Record<string, HttpHandler> = {};
  for (const p of ['register', 'login', 'refresh', 'logout', 'setup']) routes[`POST /api/auth/${p}`] = h;
  for (const p of ['me', 'profile', 'setup-status', 'users']) routes[`GET /api/auth/${p}`] = h;
  Object.assign(routes, {
    'PUT /api/auth/me': h,
    'POST /api/auth/users': h,
    'DELETE /api/auth/users/{id}': h,
    'PUT /api/auth/users/{id}/role': h,
  });
  return serveRoutes(routes);
}

const authConfig = (extra: Record<string, unknown> = {}, modules: WorkflowConfig['modules'] = []): WorkflowConfig => ({
  modules: [
    ...modules,
    { name: 'auth', type: 'auth.jwt', config: { secret: 'test-secret', issuer: 'shop', ...extra } },
  ],
});

test('register, login, me, refresh and logout over HTTP', async (t) => {
  const app = await startTestApp({ plugins: [authPlugin], config: authConfig() });
  const server = await authServer(app);
  t.after(async () => {
    await server.close();
    await app.stop();
  });
  const url = `${server.url}/api/auth`;
  const reg = await requestJson(`${url}/register`, {
    method: 'POST',
    body: { email: 'Ann@Example.com', password: 'hunter22!', name: 'Ann' },
  });
  assert.equal(reg.status, 201);
  assert.equal(reg.json.user.email, 'ann@example.com');
  assert.equal(reg.json.user.passwordHash, undefined);
  assert.equal(
    (
      await requestJson(`${url}/register`, {
        method: 'POST',
        body: { email: 'ann@example.com', password: 'hunter22!' },
      })
    ).status,
    409,
  );
  assert.equal(
    (await requestJson(`${url}/register`, { method: 'POST', body: { email: 'bob@example.com', password: 'short' } }))
      .status,
    400,
  );
  assert.equal(
    (await requestJson(`${url}/login`, { method: 'POST', body: { email: 'ann@example.com', password: 'nope-nope' } }))
      .status,
    401,
  );
  assert.equal((await requestJson(`${url}/login`, { method: 'POST', rawBody: 'email=x' })).status, 400);

  const login = await requestJson(`${url}/login`, {
    method: 'POST',
    body: { email: 'ann@example.com', password: 'hunter22!' },
  });
  assert.equal(login.status, 200);
  const token = login.json.token as string;
  const claims = verifyHs256(token, 'test-secret');
  assert.ok(claims.ok && claims.claims.iss === 'shop' && claims.claims.role === 'user');

  assert.equal((await requestJson(`${url}/me`)).status, 401);
  const me = await requestJson(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual([me.status, me.json.name], [200, 'Ann']);
  const renamed = await requestJson(`${url}/me`, {
    method: 'PUT',
    body: { name: 'Annie' },
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(renamed.json.name, 'Annie');

  const refreshed = await requestJson(`${url}/refresh`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(refreshed.status, 200);
  assert.equal(
    (await requestJson(`${url}/me`, { headers: { authorization: `Bearer ${token}` } })).status,
    401,
    'refresh retires the old token',
  );
  const fresh = refreshed.json.token as string;
  const auth = app.services.get<JwtAuthModule>('auth')!;
  assert.equal((await auth.authenticate(fresh)).ok, true);
  assert.equal(
    (await requestJson(`${url}/logout`, { method: 'POST', headers: { authorization: `Bearer ${fresh}` } })).status,
    200,
  );
  assert.deepEqual(await auth.authenticate(fresh), { ok: false, reason: 'token has been revoked' });
});

test('setup creates the first admin; admin-only user management', async (t) => {
  const app = await startTestApp({
    plugins: [authPlugin],
    config: authConfig({ allowRegistration: false, responseFormat: 'oauth2' }),
  });
  const server = await authServer(app);
  t.after(async () => {
    await server.close();
    await app.stop();
  });
  const url = `${server.url}/api/auth`;
  assert.deepEqual((await requestJson(`${url}/setup-status`)).json, { needsSetup: true, userCount: 0 });
  const setup = await requestJson(`${url}/setup`, {
    method: 'POST',
    body: { email: 'root@x.io', password: 'rootroot' },
  });
  assert.deepEqual([setup.status, setup.json.token_type, setup.json.user.role], [201, 'Bearer', 'admin']);
  assert.equal(
    (await requestJson(`${url}/setup`, { method: 'POST', body: { email: 'b@x.io', password: 'rootroot' } })).status,
    409,
  );
  assert.equal(
    (await requestJson(`${url}/register`, { method: 'POST', body: { email: 'c@x.io', password: 'whatever1' } })).status,
    403,
  );
  const admin = { authorization: `Bearer ${setup.json.access_token}` };
  const created = await requestJson(`${url}/users`, {
    method: 'POST',
    body: { email: 'ops@x.io', password: 'opsopsops', role: 'ops' },
    headers: admin,
  });
  assert.deepEqual([created.status, created.json.role], [201, 'ops']);
  const opsLogin = await requestJson(`${url}/login`, {
    method: 'POST',
    body: { email: 'ops@x.io', password: 'opsopsops' },
  });
  assert.equal(
    (await requestJson(`${url}/users`, { headers: { authorization: `Bearer ${opsLogin.json.token}` } })).status,
    403,
  );
  const promoted = await requestJson(`${url}/users/${created.json.id}/role`, {
    method: 'PUT',
    body: { role: 'admin' },
    headers: admin,
  });
  assert.equal(promoted.json.role, 'admin');
  assert.equal((await requestJson(`${url}/users`, { headers: admin })).json.length, 2);
  assert.equal(
    (await requestJson(`${url}/users/${created.json.id}`, { method: 'DELETE', headers: admin })).status,
    204,
  );
  assert.deepEqual(await app.services.get<JwtAuthModule>('auth')!.authenticate(opsLogin.json.token), {
    ok: false,
    reason: 'user no longer exists',
  });
});

test('users persist across a restart; seed users load and a bcrypt user is fixed by a seeded password', async (t) => {
  const modules: WorkflowConfig['modules'] = [
    { name: 'db', type: 'database.workflow', config: { driver: 'sqlite', dsn: 'auth.db' } },
    { name: 'persistence', type: 'persistence.store', config: { database: 'db' } },
  ];
  const base = new TestApp({ plugins: [authPlugin, storagePlugin] });
  writeFileSync(
    join(base.configDir, 'users.json'),
    JSON.stringify([
      { id: '7', data: { email: 'seed@x.io', name: 'Seed', password: 'seedseed', role: 'admin' } },
      {
        id: '8',
        data: { email: 'legacy@x.io', passwordHash: '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy' },
      },
    ]),
  );
  const cfg = authConfig({ seedFile: 'users.json' }, modules);
  const first = await startTestApp({
    plugins: [authPlugin, storagePlugin],
    config: cfg,
    configDir: base.configDir,
    dataDir: base.dataDir,
  });
  let server = await authServer(first);
  let url = `${server.url}/api/auth`;
  const seeded = await requestJson(`${url}/login`, {
    method: 'POST',
    body: { email: 'seed@x.io', password: 'seedseed' },
  });
  assert.deepEqual([seeded.status, seeded.json.user.id, seeded.json.user.role], [200, '7', 'admin']);
  assert.equal(
    (await requestJson(`${url}/login`, { method: 'POST', body: { email: 'legacy@x.io', password: 'anything' } }))
      .status,
    401,
  );
  const reg = await requestJson(`${url}/register`, {
    method: 'POST',
    body: { email: 'new@x.io', password: 'newnewnew' },
  });
  assert.equal(reg.json.user.id, '9');
  await server.close();
  await first.halt();

  writeFileSync(
    join(base.configDir, 'users.json'),
    JSON.stringify([{ id: '8', data: { email: 'legacy@x.io', password: 'migrated1' } }]),
  );
  const second = await startTestApp({
    plugins: [authPlugin, storagePlugin],
    config: cfg,
    configDir: base.configDir,
    dataDir: base.dataDir,
  });
  server = await authServer(second);
  url = `${server.url}/api/auth`;
  t.after(async () => {
    await server.close();
    await second.stop();
    await base.stop();
  });
  assert.equal(
    (await requestJson(`${url}/login`, { method: 'POST', body: { email: 'new@x.io', password: 'newnewnew' } })).status,
    200,
  );
  assert.equal(
    (await requestJson(`${url}/login`, { method: 'POST', body: { email: 'legacy@x.io', password: 'migrated1' } }))
      .status,
    200,
  );
});

test('allowRegistration: true lets any visitor register, one after another (upstream jwt_auth.go)', async (t) => {
  const app = await startTestApp({ plugins: [authPlugin], config: authConfig({ allowRegistration: true }) });
  const server = await authServer(app);
  t.after(async () => {
    await server.close();
    await app.stop();
  });
  const url = `${server.url}/api/auth`;
  const emails = ['first@x.io', 'second@x.io', 'third@x.io'];
  for (const email of emails) {
    const reg = await requestJson(`${url}/register`, { method: 'POST', body: { email, password: 'long-enough-1' } });
    assert.deepEqual([reg.status, reg.json.user.email], [201, email], reg.text);
    const me = await requestJson(`${url}/me`, { headers: { authorization: `Bearer ${reg.json.token}` } });
    assert.deepEqual([me.status, me.json.email], [200, email]);
  }
  assert.equal((await requestJson(`${url}/setup-status`)).json.userCount, 3);
});
