// The data steps over real HTTP: jq, hash, regex_match, base64_decode, json_parse,
// validate_request_body, validate_pagination, static_file and http_proxy.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Engine, silentLogger } from '../../engine/index.ts';
import { httpPlugin } from '../http/index.ts';
import { pipelineStepsPlugin } from './index.ts';

const plugins = [httpPlugin, pipelineStepsPlugin];
const dir = mkdtempSync(join(tmpdir(), 'wf-data-steps-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const build = (yaml: string) =>
  Engine.fromText(yaml, { plugins, logger: silentLogger(), baseDir: dir, httpAddress: '127.0.0.1:0' });

const SERVER = `
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
`;

async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

test('jq: the real jq language over request data; outputs; errors; compile errors at load', async () => {
  const engine = await build(`${SERVER}
pipelines:
  totals:
    trigger: { type: http, config: { method: POST, path: /totals } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true } }
      - name: calc
        type: step.jq
        config:
          input_from: steps.parse.body
          expression: |
            # comments, defs, reduce, try/catch and string interpolation all work
            def total: reduce .items[] as $i (0; . + $i.price * $i.qty);
            {customer: .customer, total: total, skus: [.items[].sku], note: (try error("x") catch "caught: \\(.)")}
      - { name: respond, type: step.json_response, config: { body_from: steps.calc } }
  many:
    trigger: { type: http, config: { method: POST, path: /many } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true } }
      - { name: each, type: step.jq, config: { input_from: steps.parse.body, expression: ".xs[] | select(. > 1)" } }
      - { name: none, type: step.jq, config: { input_from: steps.parse.body, expression: "empty" } }
      - name: respond
        type: step.json_response
        config: { body: { each: { _from: steps.each.result }, none: { _from: steps.none.result } } }
  fails:
    trigger: { type: http, config: { method: POST, path: /fails } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true } }
      - { name: add, type: step.jq, config: { input_from: steps.parse.body, expression: ".a + 1" } }
      - { name: respond, type: step.json_response, config: { body_from: steps.add } }
`);
  await engine.start();
  const url = `http://127.0.0.1:${engine.address()!.port}`;
  try {
    const order = {
      customer: 'ada',
      items: [
        { sku: 'a', price: 2, qty: 3 },
        { sku: 'b', price: 5, qty: 1 },
      ],
    };
    const r = await post(`${url}/totals`, order);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.result, { customer: 'ada', total: 11, skus: ['a', 'b'], note: 'caught: x' });
    assert.equal(r.json.total, 11, 'a single map result is also merged into the output');
    const m = await post(`${url}/many`, { xs: [1, 2, 3] });
    assert.deepEqual(m.json, { each: [2, 3], none: null });
    const f = await post(`${url}/fails`, { a: 'text' });
    assert.equal(f.status, 500);
    // concurrent requests share batches and each gets its own answer
    const all = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        post(`${url}/totals`, { customer: `c${i}`, items: [{ sku: 's', price: i, qty: 2 }] }),
      ),
    );
    all.forEach((a, i) => assert.deepEqual([a.json.customer, a.json.total], [`c${i}`, i * 2]));
  } finally {
    await engine.stop();
  }
  await assert.rejects(
    build(`pipelines:\n  p:\n    steps:\n      - { name: bad, type: step.jq, config: { expression: ".a |||" } }\n`),
    (err: unknown) => err instanceof ConfigError && /jq program does not compile: syntax error/.test(err.message),
  );
});

test('jq: a program that runs too long fails its request; the next requests still work', async () => {
  const engine = await build(`
pipelines:
  spin:
    steps:
      - { name: loop, type: step.jq, config: { expression: "[limit(.n; repeat(1))] | length", timeout: 2s } }
`);
  try {
    await assert.rejects(engine.executePipeline('spin', { n: 1e12 }), /did not finish within 2000 ms/);
    assert.deepEqual((await engine.executePipeline('spin', { n: 3 })).result, 3);
  } finally {
    await engine.stop();
  }
});

test('hash, regex_match (RE2, linear time), json_parse, base64_decode', async () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  const engine = await build(`${SERVER}
pipelines:
  check:
    trigger: { type: http, config: { method: POST, path: /check } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true, merge_body: true } }
      - { name: digest, type: step.hash, config: { input: "{{ .email }}" } }
      - { name: md5, type: step.hash, config: { input: "{{ .email }}", algorithm: md5 } }
      - { name: order, type: step.regex_match, config: { pattern: "^ord-(\\\\d+)-([a-z]+)$", input: "{{ .order }}" } }
      - { name: evil, type: step.regex_match, config: { pattern: "^(a+)+$", input: "{{ .attack }}" } }
      - { name: doc, type: step.json_parse, config: { source: steps.parse.body.payload, target: parsed } }
      - name: image
        type: step.base64_decode
        config: { input_from: image, allowed_types: [image/png], validate_magic_bytes: true }
      - { name: fake, type: step.base64_decode, config: { input_from: fake, validate_magic_bytes: true } }
      - name: respond
        type: step.json_response
        config:
          body:
            sha: { _from: steps.digest.hash }
            md5: { _from: steps.md5.hash }
            order: { _from: steps.order }
            evil: { _from: steps.evil.matched }
            parsed: { _from: steps.doc.parsed }
            image: { _from: steps.image }
            fake: { _from: steps.fake }
`);
  await engine.start();
  const url = `http://127.0.0.1:${engine.address()!.port}`;
  try {
    const r = await post(`${url}/check`, {
      email: 'ada@example.com',
      order: 'ord-42-eu',
      attack: `${'a'.repeat(50_000)}!`,
      payload: '{"a":[1,2]}',
      image: `data:image/png;base64,${png.toString('base64')}`,
      fake: `data:image/png;base64,${Buffer.from('just text').toString('base64')}`,
    });
    assert.equal(r.status, 200);
    assert.equal(r.json.sha, createHash('sha256').update('ada@example.com').digest('hex'));
    assert.equal(r.json.md5, createHash('md5').update('ada@example.com').digest('hex'));
    assert.deepEqual(r.json.order, { matched: true, match: 'ord-42-eu', groups: ['42', 'eu'] });
    assert.equal(r.json.evil, false, 'a backtracking-prone pattern on a long input answers at once');
    assert.deepEqual(r.json.parsed, { a: [1, 2] });
    assert.deepEqual(r.json.image, {
      valid: true,
      content_type: 'image/png',
      extension: '.png',
      size_bytes: png.length,
      data: png.toString('base64'),
    });
    assert.deepEqual(r.json.fake, {
      valid: false,
      reason: 'magic bytes indicate "text/plain" but data-URI claims "image/png"',
    });
  } finally {
    await engine.stop();
  }
  await assert.rejects(
    build(
      `pipelines:\n  p:\n    steps:\n      - { name: bad, type: step.regex_match, config: { pattern: ` +
        `"(?<=a)b", input: x } }\n`,
    ),
    /"pattern" is not a valid RE2 regular expression/,
  );
});

test('validate_request_body and validate_pagination answer 400 for client mistakes', async () => {
  const engine = await build(`${SERVER}
pipelines:
  create:
    trigger: { type: http, config: { method: POST, path: /items } }
    steps:
      - { name: body, type: step.validate_request_body, config: { required_fields: [name, price] } }
      - { name: respond, type: step.json_response, config: { status: 201, body_from: steps.body.body } }
  list:
    trigger: { type: http, config: { method: GET, path: /items } }
    steps:
      - { name: page, type: step.validate_pagination, config: { max_limit: 50, default_limit: 10 } }
      - { name: respond, type: step.json_response, config: { body_from: steps.page } }
`);
  await engine.start();
  const url = `http://127.0.0.1:${engine.address()!.port}`;
  try {
    assert.deepEqual(await post(`${url}/items`, { name: 'a', price: 1 }), {
      status: 201,
      json: { name: 'a', price: 1 },
    });
    const missing = await post(`${url}/items`, { name: 'a' });
    assert.deepEqual(missing, { status: 400, json: { error: 'step "body" failed: missing required fields: price' } });
    const notJson = await fetch(`${url}/items`, { method: 'POST', body: '{oops' });
    assert.equal(notJson.status, 400);
    const get = async (q: string) => {
      const res = await fetch(`${url}/items${q}`);
      return { status: res.status, json: await res.json() };
    };
    assert.deepEqual((await get('')).json, { page: 1, limit: 10, offset: 0 });
    assert.deepEqual((await get('?page=3&limit=20')).json, { page: 3, limit: 20, offset: 40 });
    assert.equal((await get('?limit=51')).status, 400);
    assert.equal((await get('?page=0')).status, 400);
    assert.equal((await get('?page=abc')).status, 400);
  } finally {
    await engine.stop();
  }
});

test('static_file serves a file read at load; http_proxy relays to a backend found by earlier steps', async () => {
  writeFileSync(join(dir, 'index.html'), '<h1>hello</h1>');
  const backend = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.writeHead(207, { 'content-type': 'application/json', 'x-backend': 'yes' });
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          body,
          tenant: req.headers['x-tenant'] ?? null,
          cookie: req.headers.cookie ?? null,
        }),
      );
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  after(() => backend.close());
  const target = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/api`;
  const engine = await build(`${SERVER}
pipelines:
  home:
    trigger: { type: http, config: { method: GET, path: / } }
    steps:
      - name: page
        type: step.static_file
        config: { file: index.html, content_type: text/html, cache_control: "max-age=60" }
  gateway:
    trigger: { type: http, config: { method: POST, path: "/gw/{tenant}/{resource...}" } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: false } }
      - name: route
        type: step.set
        config: { values: { backend_url: "${target}/{{ .steps.parse.path_params.tenant }}" } }
      - { name: proxy, type: step.http_proxy, config: { forward_headers: [X-Tenant] } }
`);
  await engine.start();
  const url = `http://127.0.0.1:${engine.address()!.port}`;
  try {
    const home = await fetch(`${url}/`);
    assert.equal(home.status, 200);
    assert.equal(home.headers.get('cache-control'), 'max-age=60');
    assert.equal(await home.text(), '<h1>hello</h1>');
    const res = await fetch(`${url}/gw/acme/orders/7?full=1`, {
      method: 'POST',
      headers: { 'x-tenant': 'acme', cookie: 'session=secret', 'content-type': 'text/plain' },
      body: 'payload',
    });
    assert.equal(res.status, 207);
    assert.equal(res.headers.get('x-backend'), 'yes');
    assert.deepEqual(await res.json(), {
      method: 'POST',
      url: '/api/acme/orders/7?full=1',
      body: 'payload',
      tenant: 'acme',
      cookie: null,
    });
  } finally {
    await engine.stop();
  }
  await assert.rejects(
    build(
      `pipelines:\n  p:\n    steps:\n      - { name: f, type: step.static_file, config: { file: missing.html, ` +
        `content_type: text/html } }\n`,
    ),
    /cannot read .*missing\.html: ENOENT/,
  );
});
