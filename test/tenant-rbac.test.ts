// A WorkflowTenant's users and groups, end to end on devcluster (which enforces RBAC) with the real
// kubectl: the operator binds them to the Role `workflow-tenant` in each tenant namespace, so their own
// credentials (token-file users here) can create, scale, read and delete WorkflowApps there and read
// their pods, logs and quota, get 403 in every other namespace and for cluster-scoped writes, and
// `kubectl auth can-i` says the same. Taking a user out of spec.users takes the access away.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { appManifest, eventually, startHarness, type Harness } from './operator-harness.ts';
import { tempDir } from './registry-support.ts';

const exec = promisify(execFile);
const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdef';
let h: Harness;
let dirs: ReturnType<typeof tempDir>;

const tenantYaml = (users: string[]) => `apiVersion: workflow.gocodealone.com/v1alpha1
kind: WorkflowTenant
metadata: { name: acme }
spec:
  namespaces: [acme, acme-staging]
  quotas: { maxApps: 5, maxReplicas: 6 }
  users: [${users.join(', ')}]
  groups: [acme-devs]
`;

/** kubectl with a user's own token instead of the kubeconfig's cluster-admin one. */
async function as(token: string, ...args: string[]): Promise<{ ok: boolean; out: string }> {
  return h.kubectl('--token', token, ...args).then(
    (out) => ({ ok: true, out }),
    (e: Error) => ({ ok: false, out: e.message }),
  );
}

/** `kubectl auth can-i` as a user: its answer (it exits 1 on "no", with the answer on stdout still). */
async function canI(token: string, ...args: string[]): Promise<string> {
  const argv = ['--kubeconfig', h.kubeconfig, '--token', token, 'auth', 'can-i', ...args];
  return exec('kubectl', argv, { timeout: 60_000 }).then(
    ({ stdout }) => stdout.trim(),
    (e: { code?: number; stdout?: string; stderr?: string }) =>
      e.code === 1 ? (e.stdout ?? '').trim() : `kubectl failed: ${e.stderr}`,
  );
}

before(async () => {
  dirs = tempDir('tenant-rbac-');
  const tokenFile = join(dirs.path, 'tokens.csv');
  // alice is listed by name in spec.users; bob only through his group acme-devs (spec.groups)
  writeFileSync(tokenFile, `${ALICE},alice,alice-uid\n${BOB},bob,bob-uid,"acme-devs"\n`);
  h = await startHarness({ pods: 'none', cluster: { tokenAuthFile: tokenFile } });
  await h.startOperator({ tenancy: { webhook: { port: 0, host: '127.0.0.1', endpoint: 'local' } } });
  await h.kubectl('create', 'namespace', 'other');
  await h.apply(tenantYaml(['alice']));
  await eventually('the tenant RoleBindings', async () => {
    const bindings = await Promise.all(
      ['acme', 'acme-staging'].map((ns) => h.json('get', 'rolebinding', 'workflow-tenant', '-n', ns).catch(() => null)),
    );
    return bindings.every((b) => b?.subjects?.length === 2);
  });
});

after(async () => {
  await h?.stop();
  dirs?.cleanup();
});

test('a tenant user creates, scales, reads and deletes WorkflowApps in the tenant namespace', async () => {
  const file = join(dirs.path, 'app.yaml');
  writeFileSync(file, appManifest('shop', { namespace: 'acme' }));
  const created = await as(ALICE, 'apply', '-f', file);
  assert.ok(created.ok, created.out);
  assert.match(created.out, /workflowapp.workflow.gocodealone.com\/shop created/);
  const got = JSON.parse((await as(ALICE, 'get', 'wfa', 'shop', '-n', 'acme', '-o', 'json')).out);
  assert.equal(got.metadata.labels['workflow.gocodealone.com/tenant'], 'acme', 'labelled by the mutating webhook');
  assert.match((await as(ALICE, 'get', 'wfa', '-n', 'acme')).out, /^shop\s/m);

  const scaled = await as(ALICE, 'scale', 'wfa/shop', '-n', 'acme', '--replicas=2');
  assert.ok(scaled.ok, scaled.out);
  assert.equal((await h.json('get', 'wfa', 'shop', '-n', 'acme')).spec.replicas, 2);
  const patched = await as(
    ALICE,
    'patch',
    'wfa',
    'shop',
    '-n',
    'acme',
    '--type=merge',
    '-p',
    '{"spec":{"replicas":1}}',
  );
  assert.ok(patched.ok, patched.out);

  // what the operator made for the app, and the tenant's quota, are readable
  await eventually('the app ConfigMap', async () => (await as(ALICE, 'get', 'configmaps', '-n', 'acme')).ok);
  for (const args of [
    ['get', 'deployments', '-n', 'acme'],
    ['get', 'services', '-n', 'acme'],
    ['get', 'pods', '-n', 'acme'],
    ['get', 'events', '-n', 'acme'],
    ['describe', 'quota', 'workflow-tenant-quota', '-n', 'acme'],
  ]) {
    const r = await as(ALICE, ...args);
    assert.ok(r.ok, `${args.join(' ')}: ${r.out}`);
  }

  // bob is in the tenant through his group, in every tenant namespace
  writeFileSync(file, appManifest('notes', { namespace: 'acme-staging' }));
  const byGroup = await as(BOB, 'apply', '-f', file);
  assert.ok(byGroup.ok, byGroup.out);
  const deleted = await as(BOB, 'delete', 'wfa', 'notes', '-n', 'acme-staging', '--wait=false');
  assert.ok(deleted.ok, deleted.out);
});

test('a tenant user gets 403 outside the tenant: other namespaces, Secrets, cluster-scoped writes', async () => {
  const file = join(dirs.path, 'elsewhere.yaml');
  writeFileSync(file, appManifest('shop', { namespace: 'other' }));
  const elsewhere = await as(ALICE, 'apply', '-f', file);
  assert.equal(elsewhere.ok, false);
  assert.match(
    elsewhere.out,
    new RegExp(
      'workflowapps.workflow.gocodealone.com "shop" is forbidden: User "alice" cannot get resource "workflowapps" ' +
        'in API group "workflow.gocodealone.com" in the namespace "other"',
    ),
  );
  const list = await as(ALICE, 'get', 'wfa', '-n', 'other');
  assert.match(list.out, /User "alice" cannot list resource "workflowapps" .* in the namespace "other"/);
  const secrets = await as(ALICE, 'get', 'secrets', '-n', 'acme');
  assert.match(secrets.out, /User "alice" cannot list resource "secrets" in API group "" in the namespace "acme"/);
  const roles = await as(
    ALICE,
    'create',
    'rolebinding',
    'me-admin',
    '--clusterrole=admin',
    '--user=alice',
    '-n',
    'acme',
  );
  assert.match(roles.out, /User "alice" cannot create resource "rolebindings"/);

  const tenantFile = join(dirs.path, 'tenant.yaml');
  writeFileSync(tenantFile, tenantYaml(['alice']).replace('name: acme }', 'name: mine }'));
  const tenant = await as(ALICE, 'create', '-f', tenantFile);
  assert.match(
    tenant.out,
    new RegExp(
      'workflowtenants.workflow.gocodealone.com is forbidden: User "alice" cannot create resource "workflowtenants" ' +
        'in API group "workflow.gocodealone.com" at the cluster scope',
    ),
  );
  const ns = await as(ALICE, 'create', 'namespace', 'alice-own');
  assert.match(ns.out, /User "alice" cannot create resource "namespaces" in API group "" at the cluster scope/);
  const crd = await as(ALICE, 'delete', 'crd', 'workflowapps.workflow.gocodealone.com');
  assert.match(crd.out, /User "alice" cannot delete resource "customresourcedefinitions"/);
});

test('kubectl auth can-i agrees with what the tenant Role grants', async () => {
  const yes = [
    ['create', 'workflowapps', '-n', 'acme'],
    ['delete', 'workflowapps', '-n', 'acme-staging'],
    ['update', 'workflowapps', '--subresource=scale', '-n', 'acme'],
    ['get', 'workflowapps', '--subresource=status', '-n', 'acme'],
    ['create', 'configmaps', '-n', 'acme'],
    ['get', 'pods', '--subresource=log', '-n', 'acme'],
    ['watch', 'pods', '-n', 'acme'],
    ['list', 'resourcequotas', '-n', 'acme'],
  ];
  const no = [
    ['create', 'workflowapps', '-n', 'other'],
    ['update', 'workflowapps', '--subresource=status', '-n', 'acme'],
    ['get', 'secrets', '-n', 'acme'],
    ['create', 'deployments', '-n', 'acme'],
    ['delete', 'pods', '-n', 'acme'],
    ['create', 'rolebindings', '-n', 'acme'],
    ['create', 'workflowtenants'],
    ['list', 'namespaces'],
  ];
  for (const args of yes) assert.equal(await canI(ALICE, ...args), 'yes', `alice: can-i ${args.join(' ')}`);
  for (const args of no) assert.equal(await canI(ALICE, ...args), 'no', `alice: can-i ${args.join(' ')}`);
  assert.equal(await canI(BOB, 'create', 'workflowapps', '-n', 'acme'), 'yes', 'bob, through his group');
  assert.equal(await canI(BOB, 'create', 'workflowapps', '-n', 'other'), 'no');
});

test('taking a user out of spec.users takes the access away', async () => {
  await h.apply(tenantYaml(['carol']));
  await eventually('alice unbound', async () => (await canI(ALICE, 'get', 'workflowapps', '-n', 'acme')) === 'no');
  const denied = await as(ALICE, 'get', 'wfa', 'shop', '-n', 'acme');
  assert.match(denied.out, /User "alice" cannot get resource "workflowapps"/);
  assert.equal(await canI(BOB, 'get', 'workflowapps', '-n', 'acme'), 'yes', 'the group binding stays');
});
