// Issue 16's devcluster findings, each reproduced exactly as it was reported: the request that did
// the damage, and a check that the damage no longer happens (the namespace survives, the process
// stays up and unpolluted, the API answers while a pathological pattern is checked, the files are
// private).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { rawRequest, startTestCluster, type RawResponse, type TestCluster } from './devcluster-harness.ts';

let tc: TestCluster;
before(async () => {
  tc = await startTestCluster();
  await tc.ok(['create', 'namespace', 'victim']);
  await tc.ok(['-n', 'victim', 'create', 'configmap', 'keep', '--from-literal=a=b']);
  await tc.ok(['-n', 'victim', 'create', 'secret', 'generic', 'creds', '--from-literal=password=hunter2']);
});
after(async () => tc?.stop());

function assertStatus(r: RawResponse, code: number, message: RegExp) {
  assert.equal(r.status, code, r.body);
  const status = r.json();
  assert.equal(status.kind, 'Status');
  assert.match(status.message, message);
}

async function victimIntact() {
  const ns = await rawRequest(tc.cluster, 'GET', '/api/v1/namespaces/victim');
  assert.equal(ns.status, 200, ns.body);
  assert.equal(ns.json().metadata.deletionTimestamp, undefined, 'the namespace is not being deleted');
  assert.equal((await rawRequest(tc.cluster, 'GET', '/api/v1/namespaces/victim/configmaps/keep')).status, 200);
}

test('finding 1: ".." as an object name is refused; the parent namespace is never deleted or served', async () => {
  for (const dots of ['%2e%2e', '%2E%2E', '.%2e', '..']) {
    const del = await rawRequest(tc.cluster, 'DELETE', `/api/v1/namespaces/victim/configmaps/${dots}`);
    assertStatus(del, 400, /invalid name "\.\." in the path: may not be '\.\.'/);
    const get = await rawRequest(tc.cluster, 'GET', `/api/v1/namespaces/victim/configmaps/${dots}`);
    assertStatus(get, 400, /may not be '\.\.'/);
    const list = await rawRequest(tc.cluster, 'GET', `/api/v1/namespaces/victim/secrets/${dots}/${dots}`);
    assert.notEqual(list.json().kind, 'NamespaceList', list.body);
    assertStatus(list, 400, /may not be '\.\.'/);
  }
  assertStatus(
    await rawRequest(tc.cluster, 'DELETE', '/api/v1/namespaces/victim/configmaps/%2e'),
    400,
    /may not be '\.'/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'DELETE', '/api/v1/namespaces/victim/configmaps/x%2F..%2F..'),
    400,
    /may not contain '\/'/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'GET', '/api/v1/namespaces/victim/configmaps/%zz'),
    400,
    /percent-encoding/,
  );
  // "//" cannot smuggle in another authority or path either
  assert.equal((await rawRequest(tc.cluster, 'GET', '//api/v1/namespaces/victim')).status, 404);
  await victimIntact();
});

test('finding 2: a JSON patch into __proto__ gets a 422, the server lives on, and no prototype changes', async () => {
  const patch = '[{"op":"add","path":"/__proto__/polluted","value":"yes"}]';
  const r = await tc.kubectl(['-n', 'victim', 'patch', 'cm', 'keep', '--type=json', '--dry-run=server', '-p', patch]);
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stderr, /doc is missing path: "\/__proto__"/);
  for (const [type, body] of [
    ['application/merge-patch+json', '{"__proto__":{"polluted":"yes"},"data":{"__proto__":"ok"}}'],
    ['application/strategic-merge-patch+json', '{"__proto__":{"polluted":"yes"}}'],
    ['application/json-patch+json', '[{"op":"add","path":"/data/constructor","value":"c"}]'],
  ] as const) {
    const res = await rawRequest(tc.cluster, 'PATCH', '/api/v1/namespaces/victim/configmaps/keep?dryRun=All', {
      body,
      headers: { 'Content-Type': type },
    });
    assert.equal(res.status, 200, res.body);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf({}), Object.prototype);
  assert.ok(!Object.hasOwn(Object.prototype, 'polluted'));
  // __proto__ and constructor are ordinary ConfigMap keys, stored as data
  await tc.ok([
    '-n',
    'victim',
    'create',
    'configmap',
    'odd',
    '--from-literal=__proto__=p',
    '--from-literal=constructor=c',
  ]);
  const odd = JSON.parse(await tc.ok(['-n', 'victim', 'get', 'cm', 'odd', '-o', 'json']));
  assert.deepEqual(Object.entries(odd.data).sort(), [
    ['__proto__', 'p'],
    ['constructor', 'c'],
  ]);
  // the metrics endpoint (prom-client crashed on polluted labels) still answers
  assert.equal((await rawRequest(tc.cluster, 'GET', '/metrics')).status, 200);
});

test('finding 3: a CRD pattern runs in linear time; patterns RE2 cannot express are refused at creation', async () => {
  const crd = (pattern: string) => `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: redoses.example.com}
spec:
  group: example.com
  names: {kind: Redos, plural: redoses, singular: redos, listKind: RedosList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              value: {type: string, pattern: ${JSON.stringify(pattern)}}
`;
  const refused = await tc.kubectl(['apply', '-f', '-'], { input: crd('^(?=a)a+$') });
  assert.notEqual(refused.code, 0);
  assert.match(
    refused.stderr,
    new RegExp(
      String.raw`spec\.versions\[0\]\.schema\.openAPIV3Schema\.properties\[spec\]\.properties\[value\]\.pattern:` +
        ` Invalid value: .*must be a valid regular expression, but isn't`,
    ),
  );
  await tc.ok(['apply', '-f', '-'], crd('^(a+)+$'));
  await tc.ok(['wait', '--for=condition=Established', 'crd/redoses.example.com']);
  // 34 characters froze the server for minutes on a backtracking engine; this value is far longer
  const value = `${'a'.repeat(5000)}!`;
  const cr = JSON.stringify({
    apiVersion: 'example.com/v1',
    kind: 'Redos',
    metadata: { name: 'evil' },
    spec: { value },
  });
  const [created, health] = await Promise.all([
    rawRequest(tc.cluster, 'POST', '/apis/example.com/v1/namespaces/default/redoses', { body: cr }),
    rawRequest(tc.cluster, 'GET', '/healthz', { token: null }),
  ]);
  assert.equal(health.status, 200);
  assertStatus(created, 422, /spec\.value in body should match '\^\(a\+\)\+\$'/);
  const ok = JSON.stringify({
    apiVersion: 'example.com/v1',
    kind: 'Redos',
    metadata: { name: 'fine' },
    spec: { value: 'aaaa' },
  });
  assert.equal(
    (await rawRequest(tc.cluster, 'POST', '/apis/example.com/v1/namespaces/default/redoses', { body: ok })).status,
    201,
  );
});

test('finding 4: the data dir is 0700 and its files (state.db, -wal, -shm, token, kubeconfig) are 0600', async () => {
  const mode = (p: string) => statSync(p).mode & 0o777;
  assert.equal(mode(tc.dataDir), 0o700);
  for (const f of ['state.db', 'state.db-wal', 'state.db-shm', 'token', 'kubeconfig', 'server.json', 'pki/ca.key'])
    assert.equal(mode(join(tc.dataDir, f)), 0o600, f);
});

test('bad bodies get a 400 with a precise message: alias bomb, 100k-deep JSON and YAML, many documents', async () => {
  const bomb = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: {name: bomb}',
    'x: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
  ].join('\n');
  const yaml = { 'Content-Type': 'application/yaml' };
  const cms = '/api/v1/namespaces/default/configmaps';
  assertStatus(await rawRequest(tc.cluster, 'POST', cms, { body: bomb, headers: yaml }), 400, /aliases/);
  const deep = `{"metadata":{"name":"deep"},"data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  assertStatus(await rawRequest(tc.cluster, 'POST', cms, { body: deep }), 400, /nests .*more than 1000 levels/);
  assertStatus(
    await rawRequest(tc.cluster, 'POST', cms, { body: `a: ${'['.repeat(100_000)}`, headers: yaml }),
    400,
    /YAML|nests/,
  );
  const two =
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: ' +
    '{name: two}\n';
  const multi = await rawRequest(tc.cluster, 'POST', cms, { body: two, headers: yaml });
  assertStatus(multi, 400, /holds 2 YAML documents; send one object per request/);
  assert.doesNotMatch(multi.body, /parseAllDocuments|YAML\.parse/);
});

test('a JSON patch that changes metadata.name or uid is refused, not silently ignored', async () => {
  const path = '/api/v1/namespaces/victim/configmaps/keep';
  const jsonPatch = { 'Content-Type': 'application/json-patch+json' };
  assertStatus(
    await rawRequest(tc.cluster, 'PATCH', path, {
      body: '[{"op":"replace","path":"/metadata/name","value":"other"}]',
      headers: jsonPatch,
    }),
    400,
    /the name of the object \(other\) does not match the name on the URL \(keep\)/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'PATCH', path, {
      body: '[{"op":"replace","path":"/metadata/uid","value":"0000"}]',
      headers: jsonPatch,
    }),
    422,
    /metadata\.uid: Invalid value: "0000": field is immutable/,
  );
  const current = (await rawRequest(tc.cluster, 'GET', path)).json();
  const put = await rawRequest(tc.cluster, 'PUT', path, {
    body: JSON.stringify({ ...current, metadata: { ...current.metadata, uid: '0000' } }),
  });
  assertStatus(put, 409, /Precondition failed: UID in precondition: 0000/);
  await victimIntact();
});

test('a watch from a future resourceVersion is refused ("Too large resource version"), as kube does', async () => {
  const r = await rawRequest(
    tc.cluster,
    'GET',
    '/api/v1/namespaces/victim/configmaps?watch=true&resourceVersion=999999999',
  );
  assertStatus(r, 504, /Too large resource version: 999999999, current: \d+/);
  assert.equal(r.json().details.causes[0].reason, 'ResourceVersionTooLarge');
});

test('plain HTTP on the TLS port gets a 400 that says so, not an empty reply', async () => {
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(tc.cluster.port, '127.0.0.1', () =>
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  assert.match(answer, /^HTTP\/1\.[01] 400 Bad Request/);
  assert.match(answer, /Client sent an HTTP request to an HTTPS server/);
});

test('a too-long ConfigMap name names the field it is about', async () => {
  const r = await tc.kubectl(['-n', 'victim', 'create', 'configmap', 'x'.repeat(300)]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /metadata\.name: Invalid value: "x+": must be no more than 253 characters/);
});
