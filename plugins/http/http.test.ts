import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Engine, silentLogger, type EnginePlugin } from '../../engine/index.ts';
import { parsePattern, RouteTable } from './route-table.ts';
import { parseListenAddress } from './http-server.ts';
import { verifyHs256 } from './middleware/jwt-hs256.ts';
import { httpPlugin } from './index.ts';
import { pipelineStepsPlugin } from '../pipelinesteps/index.ts';

const plugins: EnginePlugin[] = [httpPlugin, pipelineStepsPlugin];
const dir = mkdtempSync(join(tmpdir(), 'wf-http-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function app(yaml: string) {
  const engine = await Engine.fromText(yaml, {
    plugins,
    logger: silentLogger(),
    baseDir: dir,
    httpAddress: '127.0.0.1:0',
  });
  await engine.start();
  return { engine, url: `http://127.0.0.1:${engine.address()!.port}` };
}

test('route table: Go 1.22 precedence, wildcards, methods, HEAD, 405, prefix redirect', () => {
  const t = new RouteTable<string>();
  const add = (p: string, m?: string) => t.add(parsePattern(p, m), `${m ?? '*'} ${p}`);
  add('/items/{id}', 'GET');
  add('/items/new', 'GET');
  add('/items', 'POST');
  add('/files/{path...}');
  add('/static/', 'GET');
  add('/{$}', 'GET');
  add('/users/{uid}/posts/{pid}', 'GET');
  const m = (method: string, path: string) => t.match(method, path);
  assert.deepEqual(m('GET', '/items/7'), {
    kind: 'found',
    value: 'GET /items/{id}',
    params: { id: '7' },
    method: 'GET',
  });
  assert.equal((m('GET', '/items/new') as { value: string }).value, 'GET /items/new', 'literal beats wildcard');
  assert.equal((m('HEAD', '/items/7') as { value: string }).value, 'GET /items/{id}');
  assert.deepEqual(m('DELETE', '/items/7'), { kind: 'method-not-allowed', allowed: ['GET', 'HEAD'] });
  assert.deepEqual((m('PUT', '/files/a/b%20c.txt') as { params: unknown }).params, { path: 'a/b c.txt' });
  assert.equal((m('GET', '/static/js/app.js') as { value: string }).value, 'GET /static/');
  assert.deepEqual(m('GET', '/static'), { kind: 'redirect', location: '/static/' });
  assert.equal((m('GET', '/') as { value: string }).value, 'GET /{$}');
  assert.equal(m('GET', '/nope').kind, 'not-found');
  assert.deepEqual((m('GET', '/users/u1/posts/p%2F2') as { params: unknown }).params, { uid: 'u1', pid: 'p/2' });
  assert.equal(add('/items/{other}', 'GET'), 'GET /items/{id}', 'the same pattern is reported as existing');
  assert.deepEqual(parsePattern('POST /x/{a}'), {
    method: 'POST',
    path: '/x/{a}',
    segments: [
      { kind: 'lit', value: 'x' },
      { kind: 'param', name: 'a' },
    ],
  });
  assert.throws(() => parsePattern('/a/{x...}/b'), /must be the last segment/);
  assert.throws(() => parsePattern('/a/x{y}'), /whole segment/);
  assert.throws(() => parsePattern('items'), /must start with/);
});

test('listen addresses and HS256 tokens', () => {
  assert.deepEqual(parseListenAddress({ address: ':8080' }), { host: undefined, port: 8080 });
  assert.deepEqual(parseListenAddress({ address: '127.0.0.1:0' }), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListenAddress({ address: '[::1]:81' }), { host: '::1', port: 81 });
  assert.deepEqual(parseListenAddress({ port: 9000 }), { host: undefined, port: 9000 });
  assert.throws(() => parseListenAddress({}), /needs an address or a port/);
  assert.throws(() => parseListenAddress({ port: 70000 }), /1\.\.65535/);
  const token = hs256({ sub: 'u1', exp: Math.floor(Date.now() / 1000) + 60 }, 'k');
  assert.deepEqual(verifyHs256(token, 'k'), {
    ok: true,
    claims: { sub: 'u1', exp: JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp },
  });
  assert.deepEqual(verifyHs256(token, 'other'), { ok: false, reason: 'invalid signature' });
  assert.deepEqual(verifyHs256(hs256({ exp: 1 }, 'k'), 'k'), { ok: false, reason: 'token expired' });
});

function hs256(claims: object, secret: string): string {
  const h = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${h}.${p}.${createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url')}`;
}

test('http.middleware.auth with a secretKey, security headers, request ids, http.handler', async () => {
  const { engine, url } = await app(`
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: auth, type: http.middleware.auth, config: { secretKey: s3cret } }
  - { name: secure, type: http.middleware.securityheaders, config: { hstsMaxAge: 0 } }
  - { name: h, type: http.handler, config: { contentType: text/plain } }
workflows:
  http:
    routes:
      - { method: GET, path: /private, handler: h, middlewares: [secure, auth] }
pipelines:
  own-health:
    trigger: { type: http, config: { method: GET, path: /healthz } }
    steps:
      - { name: r, type: step.json_response, config: { body: { mine: true } } }
`);
  try {
    const none = await fetch(`${url}/private`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate')!, /^Bearer/);
    assert.equal(none.headers.get('x-frame-options'), 'DENY', 'outer middleware ran first');
    assert.equal(
      (await fetch(`${url}/private`, { headers: { authorization: `Bearer ${hs256({ sub: 'x' }, 'wrong')}` } })).status,
      401,
    );
    const ok = await fetch(`${url}/private`, { headers: { authorization: `Bearer ${hs256({ sub: 'x' }, 's3cret')}` } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'text/plain');
    assert.equal(ok.headers.get('strict-transport-security'), null);
    assert.equal(ok.headers.get('x-content-type-options'), 'nosniff');
    // without a health.checker the standard probe paths still answer, so platform probes work
    assert.deepEqual(await (await fetch(`${url}/readyz`)).json(), { status: 'ready' });
    assert.deepEqual(await (await fetch(`${url}/healthz`)).json(), { mine: true }, "an app's own route wins");
    assert.equal((await fetch(`${url}/healthz`, { method: 'POST' })).status, 405);
  } finally {
    await engine.stop();
  }
});

test('http.simple_proxy forwards by longest prefix with X-Forwarded-For; unreachable backends are 502', async () => {
  const seen: string[] = [];
  const backend = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['x-forwarded-for'] ?? ''}`);
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url, body }));
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const target = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const { engine, url } = await app(`
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - name: gw
    type: http.simple_proxy
    config:
      targets:
        /api: "${target}/v1"
        /api/special: "${target}/special"
        /down: "http://127.0.0.1:9"
`);
  try {
    const r = await fetch(`${url}/api/items?q=1`, { method: 'POST', body: 'hello' });
    assert.deepEqual(await r.json(), { path: '/v1/items?q=1', body: 'hello' });
    assert.deepEqual(await (await fetch(`${url}/api/special/x`)).json(), { path: '/special/x', body: '' });
    assert.match(seen[0]!, /^POST \/v1\/items\?q=1 127\.0\.0\.1$/);
    const down = await fetch(`${url}/down/x`);
    assert.equal(down.status, 502);
    assert.match(((await down.json()) as { error: string }).error, /bad gateway/);
    assert.equal((await fetch(`${url}/other`)).status, 404);
  } finally {
    await engine.stop();
    await new Promise<void>((r) => backend.close(() => r()));
  }
});

test('two servers, explicit router wiring, and a clear error for a server without a router', async () => {
  await assert.rejects(
    (async () => {
      const e = await Engine.fromText(
        'modules:\n  - { name: s, type: http.server, config: { address: "127.0.0.1:0" } }\n',
        { plugins, logger: silentLogger() },
      );
      try {
        await e.start();
      } finally {
        await e.stop();
      }
    })(),
    /http\.server "s" has no router; add an http\.router module that dependsOn it/,
  );
});
