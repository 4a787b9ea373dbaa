// http.client, step.rate_limit and step.circuit_breaker on the real engine over real HTTP: a local
// API server and a stand-in OAuth2 token endpoint (RFC 6749 4.4 shapes) play the outside world.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Engine, formatIssue, silentLogger, validateConfigText } from '../../engine/index.ts';
import { pipelineStepsPlugin } from '../pipelinesteps/index.ts';
import { CircuitBreaker } from '../support/index.ts';
import { httpPlugin } from './index.ts';

const plugins = [httpPlugin, pipelineStepsPlugin];
const dir = mkdtempSync(join(tmpdir(), 'wf-outbound-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const build = (yaml: string) =>
  Engine.fromText(yaml, { plugins, logger: silentLogger(), baseDir: dir, httpAddress: '127.0.0.1:0' });
const SERVER = `
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }`;

async function listen(handler: (req: IncomingMessage, body: string) => { status: number; body: unknown }) {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const out = handler(req, body);
      res.writeHead(out.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A token endpoint plus an API that accepts only the token issued last. */
async function oauthWorld() {
  let issued = 0;
  let current = '';
  const tokenRequests: URLSearchParams[] = [];
  const url = await listen((req, body) => {
    if (req.url === '/oauth/token' && req.method === 'POST') {
      const form = new URLSearchParams(body);
      tokenRequests.push(form);
      if (form.get('client_id') !== 'svc' || form.get('client_secret') !== 's3cret')
        return { status: 401, body: { error: 'invalid_client' } };
      current = `tok-${++issued}`;
      return { status: 200, body: { access_token: current, token_type: 'Bearer', expires_in: 3600 } };
    }
    if (req.headers.authorization !== `Bearer ${current}`) return { status: 401, body: { error: 'bad token' } };
    return { status: 200, body: { path: req.url, token: current } };
  });
  return { url, tokenRequests, revoke: () => (current = 'revoked') };
}

test('http.client: base_url, headers and a static bearer token reach the API; bad config is located', async () => {
  const seen: IncomingMessage[] = [];
  const api = await listen((req) => {
    seen.push(req);
    return { status: 200, body: { path: req.url } };
  });
  const engine = await build(`
modules:${SERVER}
  - name: api
    type: http.client
    config:
      base_url: ${api}/v1
      timeout: 5s
      headers: { X-Team: platform }
      auth: { type: static_bearer, bearer_token: abc123 }
pipelines:
  get:
    trigger: { type: http, config: { method: GET, path: "/things/{id}" } }
    steps:
      - { name: parse, type: step.request_parse, config: { path_params: [id] } }
      - name: call
        type: step.http_call
        config: { client: api, url: "/things/{{ .steps.parse.path_params.id }}", headers: { X-Team: override } }
      - { name: out, type: step.json_response, config: { body_from: steps.call.body } }
`);
  await engine.start();
  try {
    const res = await fetch(`http://127.0.0.1:${engine.address()!.port}/things/42`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { path: '/v1/things/42' });
    assert.equal(seen[0]!.headers.authorization, 'Bearer abc123');
    assert.equal(seen[0]!.headers['x-team'], 'override', "the step's own header wins over the client's default");
  } finally {
    await engine.stop();
  }

  const bad = `modules:
  - name: api
    type: http.client
    config:
      base_url: not a url
      auth:
        type: oauth2_client_credentials
        token_url: http://127.0.0.1:1/token
        client_id: svc
pipelines:
  p:
    steps: [{ name: s, type: step.log, config: { message: hi } }]
`;
  const r = validateConfigText(bad, { plugins, file: 'app.yaml' });
  assert.equal(r.ok, false);
  assert.match(r.errors.map((i) => formatIssue(i)).join('\n'), /app\.yaml:5:17: "base_url" must be an absolute URL/);
  const typo = bad.replace('base_url: not a url', 'timeout: 2s').replace('oauth2_client_credentials', 'oauth3');
  assert.match(
    validateConfigText(typo, { plugins, file: 'app.yaml' })
      .errors.map((i) => formatIssue(i))
      .join('\n'),
    /app\.yaml:7:15: "auth.type" must be one of none, static_bearer, .*, oauth2_refresh_token; got "oauth3"/,
  );
  await assert.rejects(
    build(bad.replace('base_url: not a url', 'timeout: 2s')),
    (err: unknown) => err instanceof ConfigError && /"auth.client_secret" is required/.test(err.message),
  );
});

test('http.client oauth2_client_credentials: one token for concurrent calls, a new one after a 401', async () => {
  const world = await oauthWorld();
  const engine = await build(`
modules:
  - name: api
    type: http.client
    config:
      base_url: ${world.url}
      auth:
        type: oauth2_client_credentials
        token_url: ${world.url}/oauth/token
        client_id: svc
        client_secret: s3cret
        scopes: [read, write]
pipelines:
  call:
    steps:
      - { name: call, type: step.http_call, config: { client: api, url: /data } }
  direct:
    steps:
      - name: call
        type: step.http_call
        config:
          url: ${world.url}/direct
          auth:
            type: oauth2_client_credentials
            token_url: ${world.url}/oauth/token
            client_id: svc
            client_secret: s3cret
  wrong-secret:
    steps:
      - name: call
        type: step.http_call
        config:
          url: ${world.url}/direct
          auth:
            type: oauth2_client_credentials
            token_url: ${world.url}/oauth/token
            client_id: svc
            client_secret: nope
`);
  await engine.start();
  try {
    const outs = await Promise.all(Array.from({ length: 5 }, () => engine.executePipeline('call', {})));
    assert.deepEqual(
      outs.map((o) => (o.body as { token: string }).token),
      Array(5).fill('tok-1'),
    );
    assert.equal(world.tokenRequests.length, 1, 'concurrent calls share one token request');
    assert.equal(world.tokenRequests[0]!.get('grant_type'), 'client_credentials');
    assert.equal(world.tokenRequests[0]!.get('scope'), 'read write');

    world.revoke();
    const again = await engine.executePipeline('call', {});
    assert.equal((again.body as { token: string }).token, 'tok-2', 'a 401 fetches a new token and retries');
    assert.equal(world.tokenRequests.length, 2);

    const direct = await engine.executePipeline('direct', {});
    assert.equal((direct.body as { path: string }).path, '/direct');
    await assert.rejects(engine.executePipeline('wrong-secret', {}), /token endpoint .* returned HTTP 401/);
  } finally {
    await engine.stop();
  }
});

test('step.rate_limit: a bucket per key; over the limit a 429 with Retry-After', async () => {
  const engine = await build(`
modules:${SERVER}
pipelines:
  limited:
    trigger: { type: http, config: { method: GET, path: /limited } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_headers: [X-Client] } }
      - name: limit
        type: step.rate_limit
        config: { requests_per_minute: 1, burst_size: 2, key_from: "{{ .steps.parse.headers.X-Client }}" }
      - { name: out, type: step.json_response, config: { body: { key: "{{ .rate_limit.key }}" } } }
`);
  await engine.start();
  const url = `http://127.0.0.1:${engine.address()!.port}/limited`;
  const call = (client: string) => fetch(url, { headers: { 'x-client': client } });
  try {
    assert.deepEqual(await (await call('a')).json(), { key: 'a' });
    assert.equal((await call('a')).status, 200);
    const refused = await call('a');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.match(((await refused.json()) as { error: string }).error, /rate limit exceeded for key "a"/);
    assert.equal((await call('b')).status, 200, 'another key has its own bucket');
  } finally {
    await engine.stop();
  }
  const r = validateConfigText(
    'pipelines:\n  p:\n    steps:\n      - { name: l, type: step.rate_limit, config: { burst_size: 0 } }\n',
    { plugins, file: 'app.yaml', allowNoEntryPoints: true },
  );
  assert.match(r.errors.map((i) => formatIssue(i)).join('\n'), /app\.yaml:4:65: "burst_size" must be at least 1/);
});

test('step.circuit_breaker opens after failures in a row, answers 503, closes after half-open successes', async () => {
  const b = new CircuitBreaker(1, 100, 2);
  b.failed(0);
  assert.equal(b.state(50), 'open');
  assert.equal(b.state(100), 'half-open');
  b.succeeded();
  assert.equal(b.state(101), 'half-open', 'one success of the two needed');
  b.succeeded();
  assert.equal(b.state(102), 'closed');

  let healthy = false;
  let calls = 0;
  const api = await listen(() => {
    calls++;
    return healthy ? { status: 200, body: { ok: true } } : { status: 500, body: { error: 'down' } };
  });
  const engine = await build(`
modules:${SERVER}
pipelines:
  guarded:
    trigger: { type: http, config: { method: GET, path: /guarded } }
    steps:
      - name: gate
        type: step.circuit_breaker
        config: { failure_threshold: 2, success_threshold: 1, timeout: 300ms, service_name: inventory }
      - { name: call, type: step.http_call, config: { url: "${api}/stock" } }
      - { name: out, type: step.json_response, config: { body: { state: "{{ .circuit_breaker.state }}" } } }
`);
  await engine.start();
  const url = `http://127.0.0.1:${engine.address()!.port}/guarded`;
  try {
    assert.equal((await fetch(url)).status, 500);
    assert.equal((await fetch(url)).status, 500);
    const open = await fetch(url);
    assert.equal(open.status, 503);
    assert.match(((await open.json()) as { error: string }).error, /circuit is open for service "inventory"/);
    assert.equal(calls, 2, 'the API is not called while the circuit is open');

    healthy = true;
    const deadline = Date.now() + 60_000;
    let res = await fetch(url);
    while (res.status === 503 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      res = await fetch(url);
    }
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { state: 'half-open' });
    assert.deepEqual(await (await fetch(url)).json(), { state: 'closed' });
  } finally {
    await engine.stop();
  }
});
