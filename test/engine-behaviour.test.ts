// Behaviour of real apps on 127.0.0.1 driven over HTTP: conditional jumps, compensation, rate
// limiting, SPA fallback, step errors as JSON while the server keeps serving, timeouts, route
// pipelines, and EngineManager isolation.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Engine, EngineManager, silentLogger, ConfigError } from '../engine/index.ts';
import { corePlugins } from '../plugins/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'wf-behaviour-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function startApp(yaml: string): Promise<{ engine: Engine; url: string }> {
  const engine = await Engine.fromText(yaml, {
    plugins: corePlugins,
    logger: silentLogger(),
    baseDir: dir,
    dataDir: join(dir, 'data'),
    httpAddress: '127.0.0.1:0',
  });
  await engine.start();
  return { engine, url: `http://127.0.0.1:${engine.address()!.port}` };
}

/** A local HTTP server that records calls (stands in for an external service). */
async function recorder(
  handler: (path: string, body: string) => { status: number; body?: unknown; delayMs?: number },
): Promise<{ url: string; calls: Array<{ method: string; path: string; body: string }>; close: () => Promise<void> }> {
  const calls: Array<{ method: string; path: string; body: string }> = [];
  const delayed = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls.push({ method: req.method!, path: req.url!, body });
      const r = handler(req.url!, body);
      const timer = setTimeout(() => {
        delayed.delete(timer);
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(r.body ?? {}));
      }, r.delayMs ?? 0);
      delayed.add(timer);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise((r) => {
        for (const timer of delayed) clearTimeout(timer);
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const base = (extra: string) => `
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
${extra}`;

const postJson = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('step.conditional jumps by value, then continues linearly from the target', async () => {
  const { engine, url } = await startApp(
    base(`
pipelines:
  route:
    trigger: { type: http, config: { method: POST, path: /route } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true } }
      - name: branch
        type: step.conditional
        config: { field: steps.parse.body.kind, routes: { fast: mark-fast, slow: mark-slow }, default: respond }
      - { name: mark-slow, type: step.set, config: { values: { path: slow } } }
      - { name: mark-fast, type: step.set, config: { values: { fast_seen: "yes" } } }
      - name: respond
        type: step.json_response
        config:
          body:
            path: '{{ .path }}'
            fast_seen: '{{ .fast_seen | default "no" }}'
            matched: '{{ .steps.branch.matched_value }}'
`),
  );
  try {
    // fast jumps over mark-slow; path stays the request path from the trigger data
    assert.deepEqual(await (await postJson(`${url}/route`, { kind: 'fast' })).json(), {
      path: '/route',
      fast_seen: 'yes',
      matched: 'fast',
    });
    // slow runs mark-slow and then (goto semantics) mark-fast too
    assert.deepEqual(await (await postJson(`${url}/route`, { kind: 'slow' })).json(), {
      path: 'slow',
      fast_seen: 'yes',
      matched: 'slow',
    });
    // default jumps straight to respond
    assert.deepEqual(await (await postJson(`${url}/route`, { kind: 'other' })).json(), {
      path: '/route',
      fast_seen: 'no',
      matched: 'other',
    });
  } finally {
    await engine.stop();
  }
});

test('on_error compensate runs compensation steps in reverse, then answers with the error', async () => {
  const svc = await recorder((path) =>
    path === '/charge' ? { status: 502, body: { error: 'card declined' } } : { status: 200, body: { ok: true } },
  );
  const { engine, url } = await startApp(
    base(`
pipelines:
  order:
    trigger: { type: http, config: { method: POST, path: /orders } }
    on_error: compensate
    steps:
      - name: reserve
        type: step.http_call
        config: { url: "${svc.url}/reserve", method: POST, body: { sku: '{{ .body.sku }}' } }
      - { name: charge, type: step.http_call, config: { url: "${svc.url}/charge", method: POST } }
      - { name: respond, type: step.json_response, config: { status: 201 } }
    compensation:
      - { name: notify, type: step.http_call, config: { url: "${svc.url}/notify", method: POST } }
      # Current is a flat merge: reserve's output replaced "body", so read the request from trigger
      - name: release
        type: step.http_call
        config: { url: "${svc.url}/release", method: POST, body: { sku: '{{ .trigger.body.sku }}' } }
`),
  );
  try {
    const res = await postJson(`${url}/orders`, { sku: 'A-1' });
    assert.equal(res.status, 500);
    const body = (await res.json()) as { error: string };
    assert.match(body.error, /step "charge" failed: .*returned 502: card declined \(compensation executed\)/);
    assert.deepEqual(
      svc.calls.map((c) => c.path),
      ['/reserve', '/charge', '/release', '/notify'],
    );
    assert.deepEqual(JSON.parse(svc.calls[2]!.body), { sku: 'A-1' });
  } finally {
    await engine.stop();
    await svc.close();
  }
});

test('http.middleware.ratelimit answers 429 with Retry-After once the burst is used', async () => {
  const { engine, url } = await startApp(
    base(`
  - { name: limiter, type: http.middleware.ratelimit, config: { requestsPerMinute: 1, burstSize: 2 } }
pipelines:
  ping:
    trigger: { type: http, config: { method: GET, path: /ping, middlewares: [limiter] } }
    steps:
      - { name: respond, type: step.json_response, config: { body: { pong: true } } }
  free:
    trigger: { type: http, config: { method: GET, path: /free } }
    steps:
      - { name: respond, type: step.json_response, config: { body: { free: true } } }
`),
  );
  try {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${url}/ping`)).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    const limited = await fetch(`${url}/ping`);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.deepEqual(await limited.json(), { error: 'rate limit exceeded; retry later' });
    assert.equal((await fetch(`${url}/free`)).status, 200, 'routes without the middleware are not limited');
  } finally {
    await engine.stop();
  }
});

test('static.fileserver serves files, falls back to index.html for SPA routes, refuses traversal', async () => {
  const site = join(dir, 'site');
  mkdirSync(join(site, 'assets'), { recursive: true });
  writeFileSync(join(site, 'index.html'), '<!doctype html><title>spa</title>');
  writeFileSync(join(site, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'top secret');
  const { engine, url } = await startApp(
    base(`
  - name: ui
    type: static.fileserver
    dependsOn: [router]
    config: { root: ./site, prefix: /, spaFallback: true, cacheMaxAge: 60 }
pipelines:
  api:
    trigger: { type: http, config: { method: GET, path: /api/status } }
    steps:
      - { name: respond, type: step.json_response, config: { body: { ok: true } } }
`),
  );
  try {
    const js = await fetch(`${url}/assets/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type')!, /javascript/);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=60');
    assert.equal(await js.text(), 'console.log(1)');
    const etag = js.headers.get('etag')!;
    assert.equal((await fetch(`${url}/assets/app.js`, { headers: { 'if-none-match': etag } })).status, 304);
    const deep = await fetch(`${url}/dashboard/settings`, { headers: { accept: 'text/html' } });
    assert.equal(deep.status, 200);
    assert.match(await deep.text(), /<title>spa<\/title>/);
    assert.equal(
      (await fetch(`${url}/assets/missing.js`)).status,
      404,
      'missing assets are not masked by the SPA shell',
    );
    assert.deepEqual(
      await (await fetch(`${url}/api/status`)).json(),
      { ok: true },
      'API routes win over the file server',
    );
    const port = engine.address()!.port;
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const status = await new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path, headers: { accept: 'application/json' } }, (r) => {
          r.resume();
          resolve(r.statusCode!);
        })
          .on('error', reject)
          .end();
      });
      assert.equal(status, 404, path);
    }
  } finally {
    await engine.stop();
  }
});

test('a failing step yields a JSON error; validation errors keep their status; the server keeps serving', async () => {
  const { engine, url } = await startApp(
    base(`
pipelines:
  broken:
    trigger: { type: http, config: { method: GET, path: /broken } }
    steps:
      - { name: call, type: step.http_call, config: { url: "http://127.0.0.1:9/never", timeout: 2s } }
  checked:
    trigger: { type: http, config: { method: POST, path: /checked } }
    steps:
      - { name: check, type: step.validate, config: { source: body, required_fields: [name] } }
      - { name: respond, type: step.json_response, config: { body: { hello: '{{ .body.name }}' } } }
  guarded:
    trigger: { type: http, config: { method: GET, path: /guarded } }
    steps:
      - { name: must, type: step.validate, error_status: 422, config: { required_fields: [token] } }
  timed:
    trigger: { type: http, config: { method: GET, path: /timed } }
    timeout: 100ms
    steps:
      - { name: slow, type: step.http_call, config: { url: "{{ .target }}" } }
  fine:
    trigger: { type: http, config: { method: GET, path: /fine } }
    steps:
      - { name: out, type: step.pipeline_output, config: { values: { fine: true } } }
  accepted:
    trigger: { type: http, config: { method: GET, path: /accepted } }
    steps:
      - { name: noop, type: step.set, config: { values: { x: 1 } } }
  custom:
    trigger: { type: http, config: { method: GET, path: /custom } }
    steps:
      - name: set
        type: step.set
        config: { values: { response_status: 418, response_body: teapot, response_headers: { X-Kind: tea } } }
`),
  );
  // answers after a minute: only the pipeline's 100ms timeout can make the request fail with 500 first
  const slow = await recorder(() => ({ status: 200, delayMs: 60_000 }));
  try {
    const broken = await fetch(`${url}/broken`);
    assert.equal(broken.status, 500);
    assert.match(broken.headers.get('content-type')!, /application\/json/);
    assert.match(
      ((await broken.json()) as { error: string }).error,
      /step "call" failed: http_call GET http:\/\/127\.0\.0\.1:9\/never failed/,
    );
    const bad = await postJson(`${url}/checked`, { other: 1 });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: 'step "check" failed: missing required fields: name' });
    assert.deepEqual(await (await postJson(`${url}/checked`, { name: 'Ada' })).json(), { hello: 'Ada' });
    assert.equal((await fetch(`${url}/guarded`)).status, 422);
    const timed = await fetch(`${url}/timed?target=${encodeURIComponent(slow.url)}`);
    assert.equal(timed.status, 500);
    assert.match(((await timed.json()) as { error: string }).error, /timed out/);
    assert.deepEqual(await (await fetch(`${url}/fine`)).json(), { fine: true });
    const accepted = await fetch(`${url}/accepted`);
    assert.equal(accepted.status, 202);
    assert.deepEqual(await accepted.json(), { status: 'workflow triggered' });
    const custom = await fetch(`${url}/custom`);
    assert.equal(custom.status, 418);
    assert.equal(custom.headers.get('x-kind'), 'tea');
    assert.equal(await custom.text(), 'teapot');
    assert.equal((await fetch(`${url}/fine`, { method: 'DELETE' })).status, 405);
  } finally {
    await engine.stop();
    await slow.close();
  }
});

test('workflows.http routes: handler modules behind middleware, and inline route pipelines', async () => {
  const { engine, url } = await startApp(
    base(`
  - { name: users, type: http.handler, config: { contentType: application/json } }
  - { name: ids, type: http.middleware.requestid }
  - { name: cors, type: http.middleware.cors, config: { allowedOrigins: ["https://app.example"] } }
workflows:
  http:
    router: router
    server: server
    routes:
      - { method: GET, path: /api/users, handler: users, middlewares: [ids] }
      - method: GET
        path: /items/{id}
        handler: users
        pipeline:
          steps:
            - { name: parse, type: step.request_parse, config: { path_params: [id] } }
            - name: respond
              type: step.json_response
              config: { body: { id: '{{ .steps.parse.path_params.id }}', rest: '{{ .q }}' } }
`),
  );
  try {
    const res = await fetch(`${url}/api/users`, {
      headers: { 'x-request-id': 'req-1', origin: 'https://app.example' },
    });
    assert.deepEqual(await res.json(), { handler: 'users', status: 'success', message: 'Default handler response' });
    assert.equal(res.headers.get('x-request-id'), 'req-1');
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example');
    const preflight = await fetch(`${url}/api/users`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(preflight.status, 204, 'CORS is global, so preflights are answered');
    assert.deepEqual(await (await fetch(`${url}/items/abc?q=1`)).json(), { id: 'abc', rest: '1' });
    assert.ok(engine.pipelineNames().includes('users:{id}'));
  } finally {
    await engine.stop();
  }
});

test('bad configs fail to build with located errors (unknown types, cycles; template syntax when strict)', async () => {
  const yaml = base(`
  - { name: a, type: http.handler, dependsOn: [b] }
  - { name: b, type: http.handler, dependsOn: [a] }
pipelines:
  p:
    steps:
      - { name: s, type: step.set, config: { values: { x: "{{ .a " } } }
      - { name: t, type: step.nope }
`);
  await assert.rejects(
    Engine.fromText(yaml, {
      plugins: corePlugins,
      logger: silentLogger(),
      file: 'bad.yaml',
      baseDir: dir,
      strict: true,
    }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const text = err.issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.message}`).join('\n');
      const lineOf = (needle: string) => yaml.split('\n').findIndex((l) => l.includes(needle)) + 1;
      assert.match(text, new RegExp(`bad\\.yaml:${lineOf('{{ .a ')}:\\d+: template syntax error: unclosed action`));
      assert.match(text, new RegExp(`bad\\.yaml:${lineOf('step.nope')}:\\d+: unknown step type "step\\.nope"`));
      assert.match(text, /bad\.yaml:\d+:\d+: module dependsOn cycle: a -> b -> a/);
      return true;
    },
  );
});

test('EngineManager runs isolated apps that start and stop independently', async () => {
  const app = (greeting: string) =>
    base(`
pipelines:
  hello:
    trigger: { type: http, config: { method: GET, path: /hello } }
    steps:
      - name: respond
        type: step.json_response
        config: { body: { greeting: ${greeting}, app: '{{ .meta.pipeline }}' } }
`);
  const manager = new EngineManager({ plugins: corePlugins, logger: silentLogger(), dataDir: join(dir, 'tenants') });
  try {
    const a = await manager.deploy('tenant-a', { text: app('hi-a'), baseDir: dir }, { httpAddress: '127.0.0.1:0' });
    const b = await manager.deploy('tenant-b', { text: app('hi-b'), baseDir: dir }, { httpAddress: '127.0.0.1:0' });
    assert.deepEqual(a.modules, ['tenant-a/server', 'tenant-a/router']);
    assert.deepEqual(b.modules, ['tenant-b/server', 'tenant-b/router'], 'the same module names live side by side');
    const urlA = `http://127.0.0.1:${a.addresses[0]!.port}/hello`;
    const urlB = `http://127.0.0.1:${b.addresses[0]!.port}/hello`;
    assert.equal(((await (await fetch(urlA)).json()) as { greeting: string }).greeting, 'hi-a');
    assert.equal(((await (await fetch(urlB)).json()) as { greeting: string }).greeting, 'hi-b');
    await assert.rejects(manager.deploy('tenant-a', { text: app('x'), baseDir: dir }), /already running/);
    await assert.rejects(manager.deploy('bad id!', { text: app('x') }), /invalid app id/);
    await manager.stop('tenant-a');
    assert.equal(manager.status('tenant-a').status, 'stopped');
    await assert.rejects(fetch(urlA), 'stopped app no longer listens');
    assert.equal((await fetch(urlB)).status, 200, 'the other app keeps serving');
    const reloaded = await manager.reload(
      'tenant-a',
      { text: app('hi-again'), baseDir: dir },
      { httpAddress: '127.0.0.1:0' },
    );
    assert.equal(reloaded.status, 'running');
    assert.equal(
      ((await (await fetch(`http://127.0.0.1:${reloaded.addresses[0]!.port}/hello`)).json()) as { greeting: string })
        .greeting,
      'hi-again',
    );
    const broken = manager.deploy('tenant-c', { text: 'modules: [{ name: x, type: no.such }]' });
    await assert.rejects(broken, /unknown module type "no\.such"/);
    assert.equal(manager.status('tenant-c').status, 'error');
    assert.deepEqual(
      manager
        .list()
        .map((s) => `${s.id}:${s.status}`)
        .sort(),
      ['tenant-a:running', 'tenant-b:running', 'tenant-c:error'],
    );
    assert.deepEqual(await manager.executePipeline('tenant-b', 'hello'), {
      status: 200,
      body: { greeting: 'hi-b', app: 'hello' },
    });
  } finally {
    await manager.stopAll();
  }
});
