// RBAC on devcluster, driven with the real kubectl: a restricted ServiceAccount's token gets 403
// with kube-apiserver's exact Status and `kubectl auth can-i` agrees; impersonation, token-file
// users, the default roles and their aggregation, escalation prevention, token Secrets and
// TokenRequest (`kubectl create token`), and revocation when an account goes away. The kubeconfig
// written at start stays cluster-admin throughout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, rawRequest, startTestCluster, type TestCluster } from './devcluster-harness.ts';

let tc: TestCluster;
let fileDir: string;
const ALICE_TOKEN = 'alice-static-token-0123456789';

before(async () => {
  fileDir = mkdtempSync(join(tmpdir(), 'devcluster-rbac-'));
  const tokenFile = join(fileDir, 'tokens.csv');
  writeFileSync(tokenFile, `${ALICE_TOKEN},alice,alice-uid,"tenant-a"\n`);
  tc = await startTestCluster({ tokenAuthFile: tokenFile });
  await tc.ok(
    ['apply', '-f', '-'],
    `
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: restricted, namespace: team}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: team}
rules:
- {apiGroups: [""], resources: [pods, configmaps], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: restricted-reads-pods, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {kind: ServiceAccount, name: restricted, namespace: team}
`,
  );
});
after(async () => {
  await tc?.stop();
  rmSync(fileDir, { recursive: true, force: true });
});

async function token(sa: string, namespace = 'team', extra: string[] = []): Promise<string> {
  return (await tc.ok(['create', 'token', sa, '-n', namespace, ...extra])).trim();
}

test('a restricted ServiceAccount token gets 403 with the exact Status, and kubectl auth can-i agrees', async () => {
  const t = await token('restricted');
  assert.match(t, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
  assert.match(await tc.ok(['--token', t, 'get', 'configmaps', '-n', 'team']), /kube-root-ca\.crt/);

  const denied = await tc.kubectl(['--token', t, 'get', 'secrets', '-n', 'team']);
  assert.notEqual(denied.code, 0);
  assert.match(
    denied.stderr,
    new RegExp(
      String.raw`Error from server \(Forbidden\): secrets is forbidden: User "system:serviceaccount:team:restricted"` +
        ` cannot list resource "secrets" in API group "" in the namespace "team"`,
    ),
  );
  const raw = await rawRequest(tc.cluster, 'GET', '/api/v1/namespaces/team/secrets/x', { token: t });
  assert.equal(raw.status, 403);
  assert.deepEqual(raw.json(), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message:
      'secrets "x" is forbidden: User "system:serviceaccount:team:restricted" cannot get resource "secrets" ' +
      'in API group "" in the namespace "team"',
    reason: 'Forbidden',
    details: { name: 'x', kind: 'secrets' },
    code: 403,
  });
  const other = await tc.kubectl(['--token', t, 'get', 'pods', '-n', 'default']);
  assert.match(other.stderr, /cannot list resource "pods" in API group "" in the namespace "default"/);
  const cluster = await tc.kubectl(['--token', t, 'get', 'nodes']);
  assert.match(cluster.stderr, /cannot list resource "nodes" in API group "" at the cluster scope/);

  const can = async (...args: string[]) => {
    const r = await tc.kubectl(['--token', t, 'auth', 'can-i', ...args]);
    return `${r.code} ${r.stdout.trim()}`;
  };
  assert.equal(await can('list', 'pods', '-n', 'team'), '0 yes');
  assert.equal(await can('watch', 'configmaps', '-n', 'team'), '0 yes');
  assert.equal(await can('list', 'secrets', '-n', 'team'), '1 no');
  assert.equal(await can('delete', 'pods', '-n', 'team'), '1 no');
  assert.equal(await can('list', 'pods', '-n', 'default'), '1 no');
  const list = await tc.ok(['--token', t, 'auth', 'can-i', '--list', '-n', 'team']);
  assert.match(list, /pods\s+\[\]\s+\[\]\s+\[get list watch\]/);
  assert.match(list, /selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/);
  assert.match(
    await tc.ok(['--token', t, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']),
    /^system:serviceaccount:team:restricted$/,
  );
});

test('the kubeconfig written at start stays cluster-admin; impersonation needs the impersonate verb', async () => {
  assert.equal((await tc.ok(['auth', 'can-i', '*', '*', '--all-namespaces'])).trim(), 'yes');
  const as = ['--as', 'system:serviceaccount:team:restricted'];
  assert.equal((await tc.ok(['auth', 'can-i', 'list', 'pods', '-n', 'team', ...as])).trim(), 'yes');
  const no = await tc.kubectl(['auth', 'can-i', 'get', 'secrets', '-n', 'team', ...as]);
  assert.equal(`${no.code} ${no.stdout.trim()}`, '1 no');
  const t = await token('restricted');
  const forbidden = await tc.kubectl(['--token', t, 'get', 'pods', '-n', 'team', '--as', 'alice']);
  assert.match(
    forbidden.stderr,
    new RegExp(
      `users "alice" is forbidden: User "system:serviceaccount:team:restricted"` +
        ` cannot impersonate resource "users" in API group "" at the cluster scope`,
    ),
  );
});

test('a token-file user is authorized by RBAC: the default view role, bound in one namespace', async () => {
  const alice = (args: string[]) => tc.kubectl(['--token', ALICE_TOKEN, ...args]);
  assert.match((await alice(['get', 'pods', '-n', 'team'])).stderr, /User "alice" cannot list resource "pods"/);
  await tc.ok(['create', 'rolebinding', 'tenant-a-view', '--clusterrole=view', '--group=tenant-a', '-n', 'team']);
  await eventually(async () => (await alice(['get', 'pods', '-n', 'team'])).code === 0, 10_000, 'view allowed');
  assert.equal((await alice(['auth', 'can-i', 'create', 'deployments', '-n', 'team'])).stdout.trim(), 'no');
  assert.equal(
    (await alice(['auth', 'can-i', 'get', 'secrets', '-n', 'team'])).stdout.trim(),
    'no',
    'view reads no Secrets',
  );
  assert.equal((await alice(['auth', 'can-i', 'list', 'pods', '-n', 'default'])).stdout.trim(), 'no');
  const who = JSON.parse((await alice(['auth', 'whoami', '-o', 'json'])).stdout);
  assert.deepEqual(who.status.userInfo.groups, ['tenant-a', 'system:authenticated']);
});

test('the default ClusterRoles exist and admin/edit/view aggregate labelled roles', async () => {
  const roles = await tc.ok(['get', 'clusterroles', 'cluster-admin', 'admin', 'edit', 'view', '-o', 'name']);
  assert.equal(roles.trim().split('\n').length, 4);
  const view = JSON.parse(await tc.ok(['get', 'clusterrole', 'view', '-o', 'json']));
  assert.ok(view.rules.some((r: { resources?: string[] }) => r.resources?.includes('deployments')));
  const edit = JSON.parse(await tc.ok(['get', 'clusterrole', 'edit', '-o', 'json']));
  assert.ok(
    edit.rules.some((r: { resources?: string[] }) => r.resources?.includes('deployments')),
    'edit includes what view has',
  );
  await tc.ok(
    ['apply', '-f', '-'],
    `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widgets-view
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- {apiGroups: [example.com], resources: [widgets], verbs: [get, list, watch]}
`,
  );
  for (const role of ['view', 'edit', 'admin']) {
    await eventually(
      async () =>
        JSON.parse(await tc.ok(['get', 'clusterrole', role, '-o', 'json'])).rules.some((r: { resources?: string[] }) =>
          r.resources?.includes('widgets'),
        ),
      10_000,
      `widgets aggregated into ${role}`,
    );
  }
  assert.equal(
    (
      await tc.ok([
        'auth',
        'can-i',
        'list',
        'widgets.example.com',
        '-n',
        'team',
        '--as',
        'bob',
        '--as-group',
        'tenant-a',
      ])
    ).trim(),
    'yes',
  );
});

test('RBAC escalation is refused: a namespace admin cannot grant cluster-admin, but can grant view', async () => {
  await tc.ok(['create', 'serviceaccount', 'team-admin', '-n', 'team']);
  await tc.ok([
    'create',
    'rolebinding',
    'team-admin',
    '--clusterrole=admin',
    '--serviceaccount=team:team-admin',
    '-n',
    'team',
  ]);
  const t = await token('team-admin');
  const escalate = await tc.kubectl([
    '--token',
    t,
    'create',
    'rolebinding',
    'take-over',
    '--clusterrole=cluster-admin',
    '--serviceaccount=team:team-admin',
    '-n',
    'team',
  ]);
  assert.notEqual(escalate.code, 0);
  assert.match(
    escalate.stderr,
    new RegExp(
      String.raw`rolebindings\.rbac\.authorization\.k8s\.io "take-over" is forbidden: ` +
        String.raw`user "system:serviceaccount:team:team-admin" \(groups=\[.*\]\) ` +
        'is attempting to grant RBAC permissions not currently held:',
    ),
  );
  const role = await tc.kubectl([
    '--token',
    t,
    'create',
    'role',
    'nodes-reader',
    '--verb=get',
    '--resource=nodes',
    '-n',
    'team',
  ]);
  assert.match(role.stderr, /is attempting to grant RBAC permissions not currently held/);
  await tc.ok(['--token', t, 'create', 'rolebinding', 'viewers', '--clusterrole=view', '--user=carol', '-n', 'team']);
  await tc.ok(['--token', t, 'create', 'role', 'cm-reader', '--verb=get', '--resource=configmaps', '-n', 'team']);
  const immutable = await tc.kubectl([
    'patch',
    'rolebinding',
    'viewers',
    '-n',
    'team',
    '--type=merge',
    '-p',
    '{"roleRef":{"name":"edit"}}',
  ]);
  assert.match(immutable.stderr, /roleRef: Invalid value: .*cannot change roleRef/);
});

test('token Secrets: filled by the token controller, revoked when deleted or when their account goes', async () => {
  await tc.ok(['create', 'serviceaccount', 'legacy', '-n', 'team']);
  await tc.ok([
    'create',
    'rolebinding',
    'legacy-reads',
    '--role=pod-reader',
    '--serviceaccount=team:legacy',
    '-n',
    'team',
  ]);
  await tc.ok(
    ['apply', '-f', '-'],
    `
apiVersion: v1
kind: Secret
metadata:
  name: legacy-token
  namespace: team
  annotations: {kubernetes.io/service-account.name: legacy}
type: kubernetes.io/service-account-token
`,
  );
  const secret = await eventually(
    async () => {
      const s = JSON.parse(await tc.ok(['get', 'secret', 'legacy-token', '-n', 'team', '-o', 'json']));
      return s.data?.token ? s : undefined;
    },
    10_000,
    'a filled token Secret',
  );
  assert.equal(Buffer.from(secret.data.namespace, 'base64').toString(), 'team');
  assert.match(Buffer.from(secret.data['ca.crt'], 'base64').toString(), /BEGIN CERTIFICATE/);
  const legacy = Buffer.from(secret.data.token, 'base64').toString();
  assert.equal((await tc.kubectl(['--token', legacy, 'get', 'pods', '-n', 'team'])).code, 0);
  await tc.ok(['delete', 'secret', 'legacy-token', '-n', 'team']);
  assert.match((await tc.kubectl(['--token', legacy, 'get', 'pods', '-n', 'team'])).stderr, /Unauthorized/);

  const bound = await token('legacy');
  assert.equal((await tc.kubectl(['--token', bound, 'get', 'pods', '-n', 'team'])).code, 0);
  await tc.ok(['delete', 'serviceaccount', 'legacy', '-n', 'team']);
  assert.match((await tc.kubectl(['--token', bound, 'get', 'pods', '-n', 'team'])).stderr, /Unauthorized/);
  await tc.ok(['create', 'serviceaccount', 'legacy', '-n', 'team']);
  assert.match(
    (await tc.kubectl(['--token', bound, 'get', 'pods', '-n', 'team'])).stderr,
    /Unauthorized/,
    'a new account of the same name is not the old one',
  );
});

test('kubectl create token: duration, audiences and bad requests', async () => {
  const t = await token('restricted', 'team', ['--duration=15m']);
  const claims = JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString());
  assert.equal(claims.exp - claims.iat, 900);
  assert.equal(claims.sub, 'system:serviceaccount:team:restricted');
  assert.deepEqual(claims.aud, ['https://kubernetes.default.svc.cluster.local']);
  const vault = await token('restricted', 'team', ['--audience=vault']);
  assert.match(
    (await tc.kubectl(['--token', vault, 'get', 'pods', '-n', 'team'])).stderr,
    /Unauthorized/,
    'another audience',
  );
  const short = await tc.kubectl(['create', 'token', 'restricted', '-n', 'team', '--duration=1m']);
  assert.notEqual(short.code, 0);
  assert.match(short.stderr, /may not specify a duration less than 10 minutes/);
  const missing = await tc.kubectl(['create', 'token', 'nobody', '-n', 'team']);
  assert.match(missing.stderr, /serviceaccounts "nobody" not found/);
  const noToken = await rawRequest(tc.cluster, 'GET', '/api/v1/namespaces', { token: 'not-a-token' });
  assert.equal(noToken.status, 401);
});
