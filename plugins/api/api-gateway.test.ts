// api.gateway over real HTTP: two real backends on ephemeral ports behind the gateway; prefix routing
// (longest first) with and without stripPrefix, methods, auth, CORS, rate limits, a dead backend, and
// located config errors.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Engine, silentLogger } from '../../engine/index.ts';
import { corePlugins } from '../index.ts';
import { freePort, rejectsWithIssue, requestJson } from '../testing/index.ts';

async function backend(name: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name });
      res.end(
        JSON.stringify({
          backend: name,
          method: req.method,
          url: req.url,
          authorization: req.headers.authorization ?? null,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const build = (yaml: string) =>
  Engine.fromText(yaml, { plugins: corePlugins, logger: silentLogger(), httpAddress: '127.0.0.1:0' });

test('gateway: longest prefix to real backends, strip, methods, auth, CORS and rate limits', async () => {
  const orders = await backend('orders');
  const users = await backend('users');
  const dead = `http://127.0.0.1:${await freePort()}`;
  const engine = await build(`
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - name: gateway
    type: api.gateway
    config:
      auth: { type: bearer }
      cors:
        allowOrigins: ["https://app.example"]
        allowMethods: [GET, POST]
        allowHeaders: [Authorization]
        maxAge: 600
      routes:
        - { pathPrefix: /api, backend: "${users.url}", auth: true }
        - { pathPrefix: /api/orders, backend: "${orders.url}/v1", stripPrefix: true, methods: [GET, post], timeout: 5s }
        - pathPrefix: /limited
          backend: "${users.url}"
          rateLimit: { requestsPerMinute: 60, burstSize: 2 }
        - { pathPrefix: /down, backend: "${dead}" }
`);
  after(() => engine.stop());
  await engine.start();
  const base = `http://127.0.0.1:${engine.address()!.port}`;

  // longest prefix wins; stripPrefix puts the rest under the backend's own path, query kept
  const got = await requestJson(`${base}/api/orders/42?expand=lines`);
  assert.equal(got.status, 200, got.text);
  assert.deepEqual(got.json, {
    backend: 'orders',
    method: 'GET',
    url: '/v1/42?expand=lines',
    authorization: null,
    body: '',
  });
  assert.equal(got.headers.get('x-backend'), 'orders');
  const posted = await requestJson(`${base}/api/orders`, { method: 'POST', body: { sku: 'A-1' } });
  assert.equal((posted.json as { url: string }).url, '/v1');
  assert.equal((posted.json as { body: string }).body, '{"sku":"A-1"}');
  const deleted = await requestJson(`${base}/api/orders/42`, { method: 'DELETE' });
  assert.deepEqual([deleted.status, deleted.json], [405, { error: 'method not allowed' }]);

  // auth: the credential must be present in the configured form; the path is passed on unstripped
  const anonymous = await requestJson(`${base}/api/users/7`);
  assert.deepEqual([anonymous.status, anonymous.json], [401, { error: 'unauthorized' }]);
  const basic = await requestJson(`${base}/api/users/7`, { headers: { authorization: 'Basic eDp5' } });
  assert.equal(basic.status, 401);
  const bearer = await requestJson(`${base}/api/users/7`, { headers: { authorization: 'Bearer t0k3n' } });
  assert.equal(bearer.status, 200, bearer.text);
  assert.deepEqual(bearer.json, {
    backend: 'users',
    method: 'GET',
    url: '/api/users/7',
    authorization: 'Bearer t0k3n',
    body: '',
  });

  // CORS: a preflight is answered by the gateway; one allowed origin is echoed, others get none
  const preflight = await fetch(`${base}/api/orders`, {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example' },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.equal(preflight.headers.get('access-control-allow-methods'), 'GET, POST');
  assert.equal(preflight.headers.get('access-control-max-age'), '600');
  const foreign = await fetch(`${base}/api/orders/1`, { headers: { origin: 'https://evil.example' } });
  assert.equal(foreign.status, 200);
  assert.equal(foreign.headers.get('access-control-allow-origin'), null);
  await foreign.arrayBuffer();

  // per-route rate limit: burst 2, then 429 with Retry-After (60/min refills one a second)
  const statuses: number[] = [];
  let retryAfter: string | null = null;
  for (let i = 0; i < 3; i++) {
    const r = await requestJson(`${base}/limited/x`);
    statuses.push(r.status);
    if (r.status === 429) {
      retryAfter = r.headers.get('retry-after');
      assert.deepEqual(r.json, { error: 'rate limit exceeded' });
    }
  }
  assert.deepEqual(statuses, [200, 200, 429]);
  assert.ok(Number(retryAfter) >= 1, `Retry-After ${retryAfter}`);

  // a backend that is down: upstream's JSON 502
  const down = await requestJson(`${base}/down/thing`);
  assert.equal(down.status, 502);
  assert.deepEqual(down.json, { error: 'backend unavailable', backend: new URL(dead).host, path: '/down/thing' });
});

test('routed by name from workflows.http, a path no route prefix matches is 404 "no route matched"', async () => {
  const orders = await backend('orders');
  const engine = await build(`
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - name: gateway
    type: api.gateway
    config:
      globalRateLimit: { requestsPerMinute: 600, burstSize: 50 }
      routes: [{ pathPrefix: /orders, backend: "${orders.url}" }]
workflows:
  http:
    routes:
      - { method: GET, path: /elsewhere, handler: gateway }
`);
  after(() => engine.stop());
  await engine.start();
  const base = `http://127.0.0.1:${engine.address()!.port}`;
  const miss = await requestJson(`${base}/elsewhere`);
  assert.deepEqual([miss.status, miss.json], [404, { error: 'no route matched' }]);
  const hit = await requestJson(`${base}/orders/9`);
  assert.equal((hit.json as { url: string }).url, '/orders/9');
});

test('bad gateway configs are located errors', async () => {
  const at = (cfg: string) => build(`modules:\n  - name: gw\n    type: api.gateway\n    config: ${cfg}\n`);
  await rejectsWithIssue(
    at('{ routes: [{ pathPrefix: /a, backend: "ftp://x" }] }'),
    'modules[0].config.routes[0].backend',
    /invalid backend URL "ftp:\/\/x"/,
  );
  await rejectsWithIssue(
    at('{ routes: [{ backend: "http://x" }] }'),
    'modules[0].config.routes[0].pathPrefix',
    /needs a pathPrefix/,
  );
  await rejectsWithIssue(
    at('{ routes: [], auth: { type: jwt } }'),
    'modules[0].config.auth.type',
    /bearer, api_key, basic/,
  );
  await rejectsWithIssue(
    at('{ routes: [{ pathPrefix: /a, backend: "http://x", timeout: soon }] }'),
    'modules[0].config.routes[0].timeout',
    /timeout/,
  );
  await rejectsWithIssue(
    at('{ routes: [{ pathPrefix: /a, backend: "http://x", rateLimit: { requestsPerMinute: many } }] }'),
    'modules[0].config.routes[0].rateLimit.requestsPerMinute',
    /must be a number/,
  );
});
