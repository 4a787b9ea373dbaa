// Issue 16's standing bad-input suite over HTTP: generated requests, raw paths with encoded dots and
// slashes, prototype-reaching keys in bodies and patches, every content type and patch type, are
// sent to a real devcluster, a real engine and a real registry server. Every answer must be a 2xx or
// a 4xx that says what is wrong: never a 5xx, a dropped connection or a crash. Afterwards the process
// is unpolluted, the namespace the requests aimed at is intact, and nothing was written outside the
// data dir. Mutating requests to devcluster carry dryRun=All, so any change that lands is a bug.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { Engine, silentLogger } from '../engine/index.ts';
import { corePlugins } from '../plugins/index.ts';
import { startRegistryServer, type RegistryServer } from '../registry-index/index.ts';
import { rawRequest, startTestCluster, type TestCluster } from './devcluster-harness.ts';
import { git, json, manifest, tempDir } from './registry-support.ts';

// Bounded: a few hundred requests in all, well within the test budget on a loaded machine.
const runs = { numRuns: 150, includeErrorInReport: true };

const dangerousKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
const key = fc.oneof(
  fc.constantFrom(...dangerousKeys, 'metadata', 'name', 'namespace', 'data', 'spec', 'kind', 'apiVersion', 'uid'),
  fc.string({ maxLength: 5 }),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string({ maxLength: 6 }),
    tie('a'),
    tie('o'),
  ),
  a: fc.array(tie('v'), { maxLength: 3 }),
  o: fc.array(fc.tuple(key, tie('v')), { maxLength: 4 }).map((e) => Object.fromEntries(e)),
})).v;
const pointer = fc
  .array(fc.oneof(key, fc.constantFrom('0', '-')), { maxLength: 3 })
  .map((p) => p.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join(''));
const jsonPatch = fc.array(
  fc.record({
    op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test'),
    path: pointer,
    from: pointer,
    value,
  }),
  { maxLength: 3 },
);
const configMap = fc
  .record({ metadata: value, data: value, extra: value })
  .map((o) => ({ apiVersion: 'v1', kind: 'ConfigMap', ...o }));
const body = fc.oneof(
  value.map((v) => JSON.stringify(v)),
  configMap.map((v) => JSON.stringify(v)),
  jsonPatch.map((v) => JSON.stringify(v)),
  fc.constantFrom(
    '{"__proto__":{"polluted":"yes"}}',
    '[{"op":"add","path":"/__proto__/polluted","value":"yes"}]',
    '{"metadata":{"name":"..","namespace":"victim"}}',
    'a: &a [*a]',
    'apiVersion: v1\nkind: ConfigMap\n---\nkind: Secret',
    '{"a":',
    '',
  ),
  fc.string({ maxLength: 30 }),
);
const segment = fc.oneof(
  fc.constantFrom('namespaces', 'victim', 'default', 'configmaps', 'secrets', 'pods', 'services', 'keep'),
  fc.constantFrom('deployments', 'status', 'scale', 'log', 'exec', 'proxy', '__proto__', 'constructor'),
  fc.constantFrom('%2e%2e', '..', '.', '%2e', '%2F', 'a%2Fb', '%zz', '%00', '', '%', 'x'.repeat(300)),
  fc.stringMatching(/^[a-z0-9.%-]{1,10}$/),
);
const query = fc.constantFrom(
  '',
  '?labelSelector=__proto__',
  '?labelSelector=a%20in%20(',
  '?fieldSelector=metadata.name%3D%3D..',
  '?fieldSelector=constructor%3Dx',
  '?limit=-1',
  '?limit=abc',
  '?continue=garbage',
  '?resourceVersion=99999999999',
  '?resourceVersionMatch=Exact',
  '?fieldManager=%00',
  '?fieldValidation=Strict',
  '?propagationPolicy=Nope',
  '?gracePeriodSeconds=-5',
);
const contentType = fc.constantFrom(
  'application/json',
  'application/yaml',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
  'application/vnd.kubernetes.protobuf',
  'text/plain',
);

const protoNames = () =>
  [Object.prototype, Array.prototype, Function.prototype].map((p) => Reflect.ownKeys(p).map(String).sort().join(','));
const pristine = protoNames();
function assertUnpolluted(): void {
  assert.deepEqual(protoNames(), pristine, 'a built-in prototype changed');
  assert.equal(Object.getPrototypeOf({}), Object.prototype);
}

/** A plain-HTTP request with the path sent exactly as given (fetch would resolve dot segments). */
function plainRequest(
  base: string,
  method: string,
  path: string,
  data?: string,
  type?: string,
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname,
        port,
        path,
        method,
        headers: {
          ...(type ? { 'Content-Type': type } : {}),
          ...(data !== undefined ? { 'Content-Length': String(Buffer.byteLength(data)) } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

let tc: TestCluster;
let engine: Engine;
let engineBase: string;
let registry: RegistryServer;
let dirs: ReturnType<typeof tempDir>;

before(async () => {
  tc = await startTestCluster();
  await tc.ok(['create', 'namespace', 'victim']);
  await tc.ok(['-n', 'victim', 'create', 'configmap', 'keep', '--from-literal=a=b']);
  dirs = tempDir('bad-input-property-');
  const app = join(dirs.path, 'app.yaml');
  writeFileSync(
    app,
    `name: probe
modules:
  - {name: server, type: http.server, config: {address: ":0"}}
  - {name: router, type: http.router, dependsOn: [server]}
pipelines:
  echo:
    trigger: {type: http, config: {method: POST, path: "/echo/{id}"}}
    steps:
      - {name: parse, type: step.request_parse, config: {parse_body: true, path_params: [id]}}
      - name: respond
        type: step.json_response
        config:
          status: 200
          body: {id: "{{ index .steps.parse.path_params \\"id\\" }}", name: "{{ .body.name }}", c: "\${ constructor }"}
`,
  );
  engine = await Engine.fromFile(app, { plugins: corePlugins, logger: silentLogger(), httpAddress: '127.0.0.1:0' });
  await engine.start();
  engineBase = `http://127.0.0.1:${engine.address()!.port}`;
  const repo = join(dirs.path, 'repo');
  mkdirSync(join(repo, 'plugins/hello'), { recursive: true });
  git(dirs.path, 'init', '-q', '-b', 'main', repo);
  writeFileSync(join(repo, 'plugins/hello/manifest.json'), json(manifest('hello')));
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'hello');
  registry = await startRegistryServer({
    repo,
    dataDir: join(dirs.path, 'registry-data'),
    schedule: null,
    logger: pino({ level: 'silent' }),
  });
  assert.notEqual((await registry.initialSync).outcome, 'failed');
});
after(async () => {
  await registry?.close();
  await engine?.stop();
  await tc?.stop();
  dirs?.cleanup();
});

test('property: devcluster answers any request with a 2xx or a 4xx Status that has a message', async () => {
  const seen = new Set<number>();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
      fc.constantFrom(
        '/api/v1',
        '/apis/apps/v1',
        '/apis/example.com/v1',
        '/api',
        '/apis',
        '',
        '/api/v1/namespaces/victim',
        '/api/v1/namespaces/victim/configmaps',
        '/api/v1/namespaces/victim/configmaps/keep',
        '/api/v1/namespaces/victim/configmaps/keep',
      ),
      fc.array(segment, { maxLength: 4 }),
      query,
      body,
      contentType,
      async (method, prefix, segments, q, data, type) => {
        const mutating = method !== 'GET';
        const search = mutating ? (q ? `${q}&dryRun=All` : '?dryRun=All') : q;
        const path = `${prefix}${segments.map((x) => `/${x}`).join('')}`.padEnd(1, '/') + search;
        const r = await rawRequest(tc.cluster, method, path, {
          // Node sends a DELETE's body without a length unless told (the server would read it as the next request)
          ...(mutating
            ? { body: data, headers: { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(data)) } }
            : {}),
        });
        // kube-apiserver's own answer to a list from a future resourceVersion is a 504 Timeout to retry
        const tooLarge = r.status === 504 && /Too large resource version/.test(r.body);
        assert.ok(
          (r.status >= 200 && r.status < 500) || tooLarge,
          `${method} ${path} (${type}) got ${r.status}: ${r.body}`,
        );
        seen.add(Math.floor(r.status / 100));
        if (r.status >= 400) {
          const status = r.json();
          assert.equal(status.kind, 'Status', `${method} ${path}: ${r.body}`);
          assert.ok(typeof status.message === 'string' && status.message.length > 0, r.body);
        }
        assertUnpolluted();
      },
    ),
    runs,
  );
  assert.ok(seen.has(2) && seen.has(4), 'the generated requests reach both answers');
  // the requests aimed at victim and went through dry runs only: it is all still there
  const ns = await rawRequest(tc.cluster, 'GET', '/api/v1/namespaces/victim');
  assert.equal(ns.status, 200);
  assert.equal(ns.json().metadata.deletionTimestamp, undefined);
  assert.equal((await rawRequest(tc.cluster, 'GET', '/api/v1/namespaces/victim/configmaps/keep')).json().data.a, 'b');
  assert.equal((await rawRequest(tc.cluster, 'GET', '/healthz', { token: null })).status, 200);
  assert.equal((await rawRequest(tc.cluster, 'GET', '/metrics')).status, 200);
  // nothing written outside the data dir (the harness root holds the data dir and kubectl's home),
  // and everything in it private
  assert.deepEqual(readdirSync(join(tc.dataDir, '..')).sort(), ['data', 'home']);
  const stack = [tc.dataDir];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(p);
      else assert.equal(statSync(p).mode & 0o077, 0, `${p} is readable by others`);
    }
  }
});

test('property: an engine JSON route answers 200 or a 400 that says why; other paths are 4xx', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.constant('/echo/1'),
        segment.map((s) => `/echo/${s}`),
        fc.array(segment, { maxLength: 3 }).map((s) => `/${s.join('/')}`),
      ),
      fc.constantFrom('POST', 'GET', 'PUT'),
      body,
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
      ),
      async (path, method, data, type) => {
        const r = await plainRequest(engineBase, method, path, data, type);
        assert.ok(r.status >= 200 && r.status < 500, `${method} ${path} (${type}) ${data}: ${r.status} ${r.body}`);
        if (r.status === 200) assert.doesNotMatch(r.body, /<func>|native code|map\[\]/, r.body);
        if (r.status === 400) assert.ok(r.body.length > 0);
        assertUnpolluted();
      },
    ),
    runs,
  );
  const ok = await plainRequest(engineBase, 'POST', '/echo/7', '{"name":"ada"}', 'application/json');
  assert.deepEqual(JSON.parse(ok.body), { id: '7', name: 'ada', c: '' });
});

test('property: the registry API answers any query with a 2xx or a 4xx that has an error message', async () => {
  const param = fc.constantFrom(
    'q',
    'range',
    'os',
    'arch',
    'limit',
    'offset',
    'type',
    'tier',
    '__proto__',
    'constructor',
  );
  const paramValue = fc.oneof(
    fc.constantFrom('not-a-range', '^1', '>=1 <2', 'latest', '-1', '1e309', '__proto__', '').map(encodeURIComponent),
    fc.constantFrom('%00', '%zz', '%'),
    fc.string({ maxLength: 6 }).map(encodeURIComponent),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(
        '/api/v1/plugins',
        '/api/v1/plugins/hello',
        '/api/v1/plugins/hello/versions',
        '/api/v1/plugins/hello/resolve',
        '/api/v1/plugins/hello/1.0.0',
        '/api/v1/plugins/%2e%2e',
        '/api/v1/plugins/__proto__/versions',
        '/api/v1/plugins/constructor/resolve',
        '/api/v1/index.json',
        '/api/v1/sync',
      ),
      fc.array(fc.tuple(param, paramValue), { maxLength: 3 }),
      fc.constantFrom('GET', 'POST', 'DELETE'),
      async (path, params, method) => {
        const search = params.length ? `?${params.map(([k, v]) => `${k}=${v}`).join('&')}` : '';
        const r = await plainRequest(registry.url, method, `${path}${search}`, method === 'POST' ? '{}' : undefined);
        assert.ok(r.status >= 200 && r.status < 500, `${method} ${path}${search}: ${r.status} ${r.body}`);
        if (r.status >= 400 && r.body.startsWith('{')) assert.ok(JSON.parse(r.body).error, r.body);
        assertUnpolluted();
      },
    ),
    runs,
  );
});
