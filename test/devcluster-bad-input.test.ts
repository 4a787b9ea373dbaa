// Bad input never crashes devcluster and always gets a Kubernetes Status with the right reason and
// code: malformed JSON/YAML/protobuf, unknown kinds, schema violations, oversized bodies, invalid
// names and labels, bad selectors and patches, missing or wrong tokens.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  rawRequest,
  startTestCluster,
  WORKFLOWAPP_CRD,
  type RawResponse,
  type TestCluster,
} from './devcluster-harness.ts';

let tc: TestCluster;
before(async () => {
  tc = await startTestCluster();
  await tc.ok(['apply', '-f', '-'], WORKFLOWAPP_CRD);
});
after(async () => tc?.stop());

const CMS = '/api/v1/namespaces/default/configmaps';
const APPS = '/apis/example.com/v1/namespaces/default/workflowapps';

function assertStatus(r: RawResponse, code: number, reason: string, message?: RegExp) {
  assert.equal(r.status, code, r.body);
  const status = r.json();
  assert.equal(status.kind, 'Status');
  assert.equal(status.apiVersion, 'v1');
  assert.equal(status.status, 'Failure');
  assert.equal(status.code, code);
  assert.equal(status.reason, reason);
  if (message) assert.match(status.message, message);
  return status;
}

test('requests without a token or with a wrong one are refused with 401; health and version stay public', async () => {
  assertStatus(await rawRequest(tc.cluster, 'GET', '/api/v1/namespaces', { token: null }), 401, 'Unauthorized');
  assertStatus(await rawRequest(tc.cluster, 'GET', '/api/v1/namespaces', { token: 'wrong' }), 401, 'Unauthorized');
  assert.equal((await rawRequest(tc.cluster, 'GET', '/healthz', { token: null })).body, 'ok');
  assert.equal((await rawRequest(tc.cluster, 'GET', '/version', { token: null })).json().minor, '32');
});

test('malformed bodies: JSON, YAML with its position, protobuf, wrong kind, wrong apiVersion', async () => {
  assertStatus(
    await rawRequest(tc.cluster, 'POST', CMS, { body: '{"metadata": {"name": "x"' }),
    400,
    'BadRequest',
    /not valid JSON/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'POST', CMS, {
      body: 'metadata:\n  name: [x\n',
      headers: { 'Content-Type': 'application/yaml' },
    }),
    400,
    'BadRequest',
    /not valid YAML at line \d+, column \d+/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'POST', CMS, {
      body: Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff]),
      headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' },
    }),
    400,
    'BadRequest',
    /truncated protobuf/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'POST', CMS, { body: '[1,2]' }),
    400,
    'BadRequest',
    /must be a JSON or YAML object/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'POST', CMS, { body: JSON.stringify({ kind: 'Secret', metadata: { name: 'x' } }) }),
    400,
    'BadRequest',
    /kind in the data \(Secret\) does not match the expected kind \(ConfigMap\)/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'POST', CMS, {
      body: JSON.stringify({ apiVersion: 'v2', kind: 'ConfigMap', metadata: { name: 'x' } }),
    }),
    400,
    'BadRequest',
    /API version in the data \(v2\)/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'POST', CMS, { body: JSON.stringify({ metadata: { name: 'x' }, data: { a: 1 } }) }),
    400,
    'BadRequest',
    /ConfigMap in version "v1" cannot be handled as a ConfigMap: data.a/,
  );
});

test('unknown kinds and paths are 404 NotFound; a missing namespace names itself', async () => {
  assertStatus(
    await rawRequest(tc.cluster, 'GET', '/apis/nope.example.com/v1/things'),
    404,
    'NotFound',
    /could not find the requested resource/,
  );
  assertStatus(await rawRequest(tc.cluster, 'GET', '/api/v1/widgets'), 404, 'NotFound');
  assertStatus(
    await rawRequest(tc.cluster, 'POST', '/api/v1/namespaces/nope/configmaps', {
      body: JSON.stringify({ metadata: { name: 'x' } }),
    }),
    404,
    'NotFound',
    /namespaces "nope" not found/,
  );
  assertStatus(await rawRequest(tc.cluster, 'GET', `${CMS}/absent`), 404, 'NotFound', /configmaps "absent" not found/);
});

test('invalid names and labels are 422 Invalid with RFC 1123 wording and a cause per field', async () => {
  const status = assertStatus(
    await rawRequest(tc.cluster, 'POST', CMS, {
      body: JSON.stringify({ metadata: { name: 'Bad_Name', labels: { app: 'no spaces allowed' } } }),
    }),
    422,
    'Invalid',
  );
  assert.match(status.message, /ConfigMap "Bad_Name" is invalid/);
  assert.match(status.message, /a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters/);
  assert.deepEqual(
    status.details.causes.map((c: { field: string }) => c.field),
    ['metadata.name', 'metadata.labels'],
  );
  const ns = assertStatus(
    await rawRequest(tc.cluster, 'POST', '/api/v1/namespaces', { body: JSON.stringify({ metadata: { name: 'a.b' } }) }),
    422,
    'Invalid',
  );
  assert.match(ns.message, /RFC 1123 label/);
  assertStatus(
    await rawRequest(tc.cluster, 'POST', CMS, { body: JSON.stringify({ metadata: {} }) }),
    422,
    'Invalid',
    /metadata.name: Required value: name or generateName is required/,
  );
});

test('custom resources that violate their schema are 422 with the field paths as causes', async () => {
  const status = assertStatus(
    await rawRequest(tc.cluster, 'POST', APPS, {
      body: JSON.stringify({
        apiVersion: 'example.com/v1',
        kind: 'WorkflowApp',
        metadata: { name: 'bad' },
        spec: { replicas: 'three', plugins: [{ version: '1' }] },
      }),
    }),
    422,
    'Invalid',
    /WorkflowApp.example.com "bad" is invalid/,
  );
  const byField = (a: { field: string }, b: { field: string }) => a.field.localeCompare(b.field);
  assert.deepEqual([...status.details.causes].sort(byField), [
    { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.image' },
    { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.plugins[0].name' },
    {
      reason: 'FieldValueTypeInvalid',
      message: 'Invalid value: "three": spec.replicas in body must be of type integer: "string"',
      field: 'spec.replicas',
    },
  ]);
  assertStatus(
    await rawRequest(tc.cluster, 'POST', `${APPS}?fieldValidation=Strict`, {
      body: JSON.stringify({
        apiVersion: 'example.com/v1',
        kind: 'WorkflowApp',
        metadata: { name: 'bad' },
        spec: { image: 'x', colour: 'red' },
      }),
    }),
    400,
    'BadRequest',
    /strict decoding error: unknown field "spec.colour"/,
  );
  const warned = await rawRequest(tc.cluster, 'POST', APPS, {
    body: JSON.stringify({
      apiVersion: 'example.com/v1',
      kind: 'WorkflowApp',
      metadata: { name: 'warned' },
      spec: { image: 'x', colour: 'red' },
    }),
  });
  assert.equal(warned.status, 201);
  assert.match(String(warned.headers.warning), /299 - "unknown field \\"spec.colour\\""/);
  assert.equal(warned.json().spec.colour, undefined, 'unknown fields are pruned');
});

test('bodies over 3 MiB are 413; a ConfigMap over 1 MiB is 422', async () => {
  const huge = JSON.stringify({ metadata: { name: 'huge' }, data: { a: 'x'.repeat(3 * 1024 * 1024) } });
  assertStatus(
    await rawRequest(tc.cluster, 'POST', CMS, { body: huge }),
    413,
    'RequestEntityTooLarge',
    /limit is 3145728/,
  );
  const big = JSON.stringify({ metadata: { name: 'big' }, data: { a: 'x'.repeat(1100 * 1024) } });
  assertStatus(
    await rawRequest(tc.cluster, 'POST', CMS, { body: big }),
    422,
    'Invalid',
    /must have at most 1048576 bytes/,
  );
});

test('bad selectors, patches, content types and tokens in queries are 4xx Status answers', async () => {
  assertStatus(
    await rawRequest(tc.cluster, 'GET', `${CMS}?labelSelector=${encodeURIComponent('a in (b')}`),
    400,
    'BadRequest',
    /unable to parse requirement/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'GET', `${CMS}?fieldSelector=spec.foo%3Dbar`),
    400,
    'BadRequest',
    /field label not supported: spec.foo/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'GET', `${CMS}?limit=1&continue=garbage`),
    400,
    'BadRequest',
    /invalid continue token/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'GET', `${CMS}?resourceVersionMatch=Exact`),
    422,
    'Invalid',
    /resourceVersionMatch is forbidden unless resourceVersion is provided/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'GET', `${CMS}?resourceVersion=1&resourceVersionMatch=Exact`),
    410,
    'Expired',
    /too old resource version/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'GET', `${CMS}?resourceVersion=99999999`),
    504,
    'Timeout',
    /Too large resource version/,
  );
  await rawRequest(tc.cluster, 'POST', CMS, {
    body: JSON.stringify({ metadata: { name: 'target' }, data: { a: '1' } }),
  });
  assertStatus(
    await rawRequest(tc.cluster, 'PATCH', `${CMS}/target`, { body: '{}', headers: { 'Content-Type': 'text/plain' } }),
    415,
    'UnsupportedMediaType',
  );
  assertStatus(
    await rawRequest(tc.cluster, 'PATCH', `${CMS}/target`, {
      body: JSON.stringify([{ op: 'test', path: '/data/a', value: '2' }]),
      headers: { 'Content-Type': 'application/json-patch+json' },
    }),
    422,
    'Invalid',
    /testing value \/data\/a failed/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'PATCH', `${CMS}/target`, {
      body: JSON.stringify([{ op: 'jump', path: '/data' }]),
      headers: { 'Content-Type': 'application/json-patch+json' },
    }),
    422,
    'Invalid',
    /unknown op "jump"/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'PATCH', `${APPS}/warned`, {
      body: '{}',
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
    }),
    415,
    'UnsupportedMediaType',
  );
  assertStatus(
    await rawRequest(tc.cluster, 'PATCH', `${CMS}/target`, {
      body: 'apiVersion: v1\nkind: ConfigMap\n',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    }),
    422,
    'Invalid',
    /fieldManager: Required value/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'POST', `${CMS}?dryRun=Yes`, { body: '{}' }),
    400,
    'BadRequest',
    /supported values: "All"/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'PUT', `${CMS}/target`, { body: JSON.stringify({ metadata: { name: 'other' } }) }),
    400,
    'BadRequest',
    /does not match the name on the URL/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'GET', CMS, { headers: { Accept: 'application/vnd.kubernetes.protobuf' } }),
    406,
    'NotAcceptable',
  );
});

test('invalid CustomResourceDefinitions are refused with the CRD field at fault', async () => {
  const crd = (name: string, spec: object) =>
    JSON.stringify({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name },
      spec,
    });
  const versions = [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }];
  const path = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  assertStatus(
    await rawRequest(tc.cluster, 'POST', path, {
      body: crd('things.example.com', {
        group: 'example.com',
        names: { plural: 'widgets', kind: 'Widget' },
        scope: 'Namespaced',
        versions,
      }),
    }),
    422,
    'Invalid',
    /metadata.name: Invalid value: "things.example.com": must be spec.names.plural\+"."\+spec.group/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'POST', path, {
      body: crd('widgets.example.com', {
        group: 'example.com',
        names: { plural: 'widgets', kind: 'Widget' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true }],
      }),
    }),
    422,
    'Invalid',
    /schemas are required/,
  );
  assertStatus(
    await rawRequest(tc.cluster, 'POST', path, {
      body: crd('widgets.example.com', {
        group: 'example.com',
        names: { plural: 'widgets', kind: 'Widget' },
        scope: 'Somewhere',
        versions,
      }),
    }),
    422,
    'Invalid',
    /spec.scope: Unsupported value: "Somewhere"/,
  );
  assert.equal((await rawRequest(tc.cluster, 'GET', '/healthz')).body, 'ok', 'still serving');
});
