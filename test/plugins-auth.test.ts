// JWT auth on the real engine: register and log in through auth.jwt, and routes behind
// http.middleware.auth answer 401 without a valid bearer token and 200 with one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestJson } from '../plugins/testing/index.ts';
import { startApp } from './plugins-harness.ts';

const config = `
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - name: auth
    type: auth.jwt
    config: { secret: "\${JWT_SECRET}", tokenExpiry: 1h, issuer: shop }
  - { name: auth-middleware, type: http.middleware.auth, dependsOn: [auth], config: { authType: Bearer } }
  - { name: notes, type: api.handler, config: { resourceName: notes } }

workflows:
  http:
    server: server
    router: router
    routes:
      - { method: POST, path: /api/auth/register, handler: auth }
      - { method: POST, path: /api/auth/login, handler: auth }
      - { method: GET, path: /api/auth/me, handler: auth }
      - { method: GET, path: /api/notes, handler: notes, middlewares: [auth-middleware] }
      - { method: POST, path: /api/notes, handler: notes, middlewares: [auth-middleware] }
`;

test('register, log in, and reach a protected route only with a valid token', async (t) => {
  const app = await startApp(t, config, { env: { JWT_SECRET: 'behavioural-test-secret' } });
  const api = `${app.url}/api`;
  const registered = await requestJson(`${api}/auth/register`, {
    method: 'POST',
    body: { email: 'ann@example.com', password: 'correct horse', name: 'Ann' },
  });
  assert.equal(registered.status, 201);
  const login = await requestJson(`${api}/auth/login`, {
    method: 'POST',
    body: { email: 'ann@example.com', password: 'correct horse' },
  });
  assert.equal(login.status, 200);
  const token = login.json.token as string;
  assert.equal(
    (
      await requestJson(`${api}/auth/login`, {
        method: 'POST',
        body: { email: 'ann@example.com', password: 'wrong horse' },
      })
    ).status,
    401,
  );

  const anonymous = await requestJson(`${api}/notes`);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate')!, /^Bearer/);
  assert.equal((await requestJson(`${api}/notes`, { headers: { authorization: 'Bearer not.a.token' } })).status, 401);
  const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  assert.equal((await requestJson(`${api}/notes`, { headers: { authorization: `Bearer ${forged}` } })).status, 401);

  const auth = { authorization: `Bearer ${token}` };
  assert.equal(
    (await requestJson(`${api}/notes`, { method: 'POST', body: { text: 'hello' }, headers: auth })).status,
    201,
  );
  const notes = await requestJson(`${api}/notes`, { headers: auth });
  assert.deepEqual([notes.status, notes.json.length, notes.json[0].data.text], [200, 1, 'hello']);
  const me = await requestJson(`${api}/auth/me`, { headers: auth });
  assert.deepEqual([me.status, me.json.email, me.json.name], [200, 'ann@example.com', 'Ann']);
});
