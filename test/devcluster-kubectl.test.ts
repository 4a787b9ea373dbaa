// devcluster judged by the machine's real kubectl (1.32 through the gcloud dispatcher, chosen by the
// server's /version minor): built-ins and a CRD's resources through apply/get/list/watch/patch/delete,
// printer columns, kubectl wait, server-side apply conflicts, finalizers, garbage collection and
// namespace deletion.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  eventually,
  startTestCluster,
  startWatching,
  WORKFLOWAPP_CRD,
  type TestCluster,
} from './devcluster-harness.ts';

let tc: TestCluster;

before(async () => {
  tc = await startTestCluster();
  await tc.ok(['apply', '-f', '-'], WORKFLOWAPP_CRD);
  await tc.ok(['wait', '--for=condition=established', 'crd/workflowapps.example.com', '--timeout=10s']);
});
after(async () => tc?.stop());

const columns = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));

describe('discovery and authentication', () => {
  test('reports minor 32 so the dispatcher runs kubectl 1.32, and lists built-ins and CRDs', async () => {
    const v = JSON.parse(await tc.ok(['version', '-o', 'json']));
    assert.equal(v.serverVersion.minor, '32');
    assert.match(v.clientVersion.gitVersion, /^v1\.32\./);
    const resources = await tc.ok(['api-resources', '--no-headers']);
    for (const r of [
      'configmaps',
      'deployments',
      'leases',
      'customresourcedefinitions',
      'validatingwebhookconfigurations',
      'workflowapps',
    ]) {
      assert.match(resources, new RegExp(`^${r}\\s`, 'm'));
    }
  });

  test('kubectl auth can-i and whoami answer for the one admin user', async () => {
    assert.equal((await tc.ok(['auth', 'can-i', 'create', 'deployments'])).trim(), 'yes');
    assert.match(await tc.ok(['auth', 'whoami']), /Username\s+devcluster-admin/);
  });

  test('refuses a wrong token with 401 Unauthorized', async () => {
    const r = await tc.kubectl(['--token', 'not-the-token', 'get', 'namespaces']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unauthorized|must be logged in/);
  });
});

describe('built-in kinds', () => {
  test('ConfigMap: apply create/unchanged/configure (strategic merge), label selectors, patch, delete', async () => {
    const cm = (value: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels: {app: demo}\ndata:\n  level: ` +
      `"${value}"\n`;
    assert.match(await tc.ok(['apply', '-f', '-'], cm('1')), /configmap\/settings created/);
    assert.match(await tc.ok(['apply', '-f', '-'], cm('1')), /configmap\/settings unchanged/);
    assert.match(await tc.ok(['apply', '-f', '-'], cm('2')), /configmap\/settings configured/);
    assert.equal(await tc.ok(['get', 'cm', 'settings', '-o', 'jsonpath={.data.level}']), '2');
    const listed = columns(await tc.ok(['get', 'cm', '-l', 'app=demo']));
    assert.deepEqual(listed[0], ['NAME', 'DATA', 'AGE']);
    assert.deepEqual(
      listed.slice(1).map((r) => r[0]),
      ['settings'],
    );
    assert.equal((await tc.ok(['get', 'cm', '-l', 'app!=demo', '-o', 'name'])).includes('settings'), false);
    await tc.ok(['patch', 'cm', 'settings', '--type=json', '-p', '[{"op":"add","path":"/data/extra","value":"x"}]']);
    await tc.ok(['patch', 'cm', 'settings', '--type=merge', '-p', '{"data":{"level":null}}']);
    assert.deepEqual(JSON.parse(await tc.ok(['get', 'cm', 'settings', '-o', 'jsonpath={.data}'])), { extra: 'x' });
    assert.match(await tc.ok(['delete', 'cm', 'settings']), /deleted/);
    const gone = await tc.kubectl(['get', 'cm', 'settings']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /NotFound.*configmaps "settings" not found/);
  });

  test('Deployment: defaults, printer columns, set image (containers merged by name), scale subresource', async () => {
    await tc.ok(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=2']);
    const d = JSON.parse(await tc.ok(['get', 'deploy', 'web', '-o', 'json']));
    assert.equal(d.spec.strategy.rollingUpdate.maxSurge, '25%');
    assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.equal(d.metadata.generation, 1);
    assert.deepEqual(columns(await tc.ok(['get', 'deploy', 'web']))[0], [
      'NAME',
      'READY',
      'UP-TO-DATE',
      'AVAILABLE',
      'AGE',
    ]);
    await tc.ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.26']);
    await tc.ok(['scale', 'deployment/web', '--replicas=3']);
    const after = JSON.parse(await tc.ok(['get', 'deploy', 'web', '-o', 'json']));
    assert.equal(after.spec.template.spec.containers[0].image, 'nginx:1.26');
    assert.equal(after.spec.template.spec.containers.length, 1);
    assert.equal(after.spec.replicas, 3);
    assert.equal(after.metadata.generation, 3);
    const wide = await tc.ok(['get', 'deploy', 'web', '-o', 'wide']);
    assert.match(wide, /CONTAINERS\s+IMAGES\s+SELECTOR/);
    assert.match(wide, /nginx:1\.26\s+app=web/);
  });

  test('Service gets a ClusterIP; ServiceAccount "default" and kube-root-ca.crt exist in new namespaces', async () => {
    await tc.ok(['create', 'namespace', 'team-a']);
    await tc.ok(['-n', 'team-a', 'create', 'service', 'clusterip', 'api', '--tcp=80:8080']);
    const svc = JSON.parse(await tc.ok(['-n', 'team-a', 'get', 'svc', 'api', '-o', 'json']));
    // from the cluster's loopback service range: the /16 of the kubernetes Service's ClusterIP
    const kubernetes = JSON.parse(await tc.ok(['get', 'svc', 'kubernetes', '-o', 'json'])).spec.clusterIP;
    assert.match(kubernetes, /^127\.\d+\.\d+\.1$/);
    assert.equal(svc.spec.clusterIP.split('.').slice(0, 2).join('.'), kubernetes.split('.').slice(0, 2).join('.'));
    assert.notEqual(svc.spec.clusterIP, kubernetes);
    assert.equal(svc.spec.ports[0].targetPort, 8080);
    await eventually(
      async () => (await tc.kubectl(['-n', 'team-a', 'get', 'sa', 'default'])).code === 0,
      5000,
      'default service account',
    );
    await eventually(
      async () => (await tc.kubectl(['-n', 'team-a', 'get', 'cm', 'kube-root-ca.crt'])).code === 0,
      5000,
      'kube-root-ca.crt',
    );
  });
});

describe('custom resources', () => {
  const app = (image: string, extra = '') =>
    `apiVersion: example.com/v1\nkind: WorkflowApp\nmetadata:\n  name: shop\nspec:\n  image: ${image}\n${extra}`;

  test('apply, printer columns with server-humanised age, defaults, -A listing', async () => {
    assert.match(await tc.ok(['apply', '-f', '-'], app('workflow-engine:1')), /workflowapp.example.com\/shop created/);
    const rows = columns(await tc.ok(['get', 'wfa']));
    assert.deepEqual(rows[0], ['NAME', 'IMAGE', 'REPLICAS', 'READY', 'AGE']);
    assert.equal(rows[1]![0], 'shop');
    assert.equal(rows[1]![1], 'workflow-engine:1');
    assert.equal(rows[1]![2], '1');
    assert.match(rows[1]![rows[1]!.length - 1]!, /^\d+s$/);
    assert.match(await tc.ok(['get', 'workflowapps', '-A']), /^default\s+shop\s+workflow-engine:1/m);
    assert.match(await tc.ok(['apply', '-f', '-'], app('workflow-engine:2')), /configured/);
    const obj = JSON.parse(await tc.ok(['get', 'wfa', 'shop', '-o', 'json']));
    assert.equal(obj.metadata.generation, 2);
    assert.equal(obj.spec.replicas, 1);
  });

  test('status subresource: spec and status are written separately; generation follows spec only', async () => {
    await tc.ok(['patch', 'wfa', 'shop', '--type=merge', '-p', '{"status":{"observedGeneration":99}}']);
    let obj = JSON.parse(await tc.ok(['get', 'wfa', 'shop', '-o', 'json']));
    assert.equal(obj.status, undefined, 'status is ignored on the main resource');
    const gen = obj.metadata.generation;
    await tc.ok([
      'patch',
      'wfa',
      'shop',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"observedGeneration":1},"spec":{"image":"ignored"}}',
    ]);
    obj = JSON.parse(await tc.ok(['get', 'wfa', 'shop', '-o', 'json']));
    assert.equal(obj.status.observedGeneration, 1);
    assert.equal(obj.spec.image, 'workflow-engine:2');
    assert.equal(obj.metadata.generation, gen);
  });

  test('kubectl wait --for=condition=Ready honours the condition observedGeneration', async () => {
    const gen = JSON.parse(await tc.ok(['get', 'wfa', 'shop', '-o', 'json'])).metadata.generation as number;
    const waiting = await startWatching(tc, ['wait', '--for=condition=Ready', 'wfa/shop', '--timeout=60s']);
    const stale = {
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Up',
            message: 'ok',
            observedGeneration: gen - 1,
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        ],
      },
    };
    await tc.ok(['patch', 'wfa', 'shop', '--subresource=status', '--type=merge', '-p', JSON.stringify(stale)]);
    stale.status.conditions[0]!.observedGeneration = gen;
    await tc.ok(['patch', 'wfa', 'shop', '--subresource=status', '--type=merge', '-p', JSON.stringify(stale)]);
    const r = await waiting.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /condition met/);
    assert.match(await tc.ok(['get', 'wfa', 'shop']), /shop\s+workflow-engine:2\s+1\s+True/);
  });

  test('schema violations are 422 with Kubernetes field errors; unknown fields fail strict validation', async () => {
    const bad = await tc.kubectl(['apply', '-f', '-'], { input: app('""', '  replicas: -1\n  tier: gold\n') });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /The WorkflowApp "shop" is invalid/);
    assert.match(
      bad.stderr,
      /spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0/,
    );
    assert.match(bad.stderr, /spec.tier: Unsupported value: "gold": supported values: "free", "pro"/);
    const unknown = await tc.kubectl(['apply', '-f', '-'], { input: app('x:1', '  colour: blue\n') });
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /strict decoding error: unknown field "spec.colour"/);
  });

  test('server-side apply: manager conflicts, --force-conflicts, fields a manager drops are removed', async () => {
    const doc = (image: string, plugins: string) =>
      `apiVersion: example.com/v1\nkind: WorkflowApp\nmetadata:\n  name: ssa\nspec:\n  image: ${image}\n  ` +
      `plugins:\n${plugins}`;
    await tc.ok(
      ['apply', '--server-side', '--field-manager=team-a', '-f', '-'],
      doc('a:1', '  - {name: auth, version: "1"}\n  - {name: cache}\n'),
    );
    const clash = await tc.kubectl(['apply', '--server-side', '--field-manager=team-b', '-f', '-'], {
      input: doc('b:1', '  - {name: auth, version: "2"}\n'),
    });
    assert.notEqual(clash.code, 0);
    assert.match(clash.stderr, /Apply failed with 2 conflicts: conflicts with "team-a"/);
    assert.match(clash.stderr, /\.spec\.plugins\[name="auth"\]\.version/);
    assert.match(clash.stderr, /\.spec\.image/);
    await tc.ok(
      ['apply', '--server-side', '--field-manager=team-b', '--force-conflicts', '-f', '-'],
      doc('b:1', '  - {name: auth, version: "2"}\n'),
    );
    let obj = JSON.parse(await tc.ok(['get', 'wfa', 'ssa', '-o', 'json', '--show-managed-fields']));
    assert.equal(obj.spec.image, 'b:1');
    assert.deepEqual(obj.spec.plugins, [{ name: 'auth', version: '2' }, { name: 'cache' }]);
    assert.deepEqual(
      obj.metadata.managedFields
        .map((m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`)
        .sort(),
      ['team-a/Apply', 'team-b/Apply'],
    );
    // team-a stops declaring the cache plugin: it owned it alone, so it goes
    await tc.ok(
      ['apply', '--server-side', '--field-manager=team-a', '-f', '-'],
      `apiVersion: example.com/v1\nkind: WorkflowApp\nmetadata:\n  name: ssa\nspec:\n  plugins:\n  - {name: auth}\n`,
    );
    obj = JSON.parse(await tc.ok(['get', 'wfa', 'ssa', '-o', 'json']));
    assert.deepEqual(obj.spec.plugins, [{ name: 'auth', version: '2' }]);
    assert.equal(obj.spec.image, 'b:1');
  });

  test('finalizers: deletionTimestamp on delete, new ones refused, wait --for=delete returns on release', async () => {
    await tc.ok(
      ['apply', '-f', '-'],
      `apiVersion: example.com/v1\nkind: WorkflowApp\nmetadata:\n  name: guarded\n  finalizers: ` +
        `[example.com/cleanup]\nspec:\n  image: x:1\n`,
    );
    await tc.ok(['delete', 'wfa', 'guarded', '--wait=false']);
    const obj = JSON.parse(await tc.ok(['get', 'wfa', 'guarded', '-o', 'json']));
    assert.ok(obj.metadata.deletionTimestamp);
    assert.equal(obj.metadata.generation, 2);
    const refused = await tc.kubectl([
      'patch',
      'wfa',
      'guarded',
      '--type=json',
      '-p',
      '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/more"}]',
    ]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /no new finalizers can be added if the object is being deleted/);
    const waiting = await startWatching(tc, ['wait', '--for=delete', 'wfa/guarded', '--timeout=60s']);
    await tc.ok(['patch', 'wfa', 'guarded', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    const r = await waiting.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await tc.kubectl(['get', 'wfa', 'guarded'])).code, 1);
  });

  test('kubectl get -w streams table rows for changes', async () => {
    // the watch ends by its request timeout; the change is made as soon as it is open
    const watching = await startWatching(tc, ['get', 'wfa', '-w', '--request-timeout=8s', '--no-headers'], {
      timeoutMs: 60_000,
    });
    await tc.ok(['patch', 'wfa', 'shop', '--type=merge', '-p', '{"spec":{"image":"workflow-engine:3"}}']);
    const r = await watching.done;
    assert.match(r.stdout, /shop\s+workflow-engine:2/);
    assert.match(r.stdout, /shop\s+workflow-engine:3/);
  });
});

describe('garbage collection and namespaces', () => {
  const owned = (name: string, ownerUid: string, block = false) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  ownerReferences:\n  - {apiVersion: ` +
    `example.com/v1, kind: WorkflowApp, name: owner, uid: ${ownerUid}, controller: ` +
    `true${block ? ', blockOwnerDeletion: true' : ''}}\ndata: {k: v}\n`;

  async function makeOwner(): Promise<string> {
    await tc.ok(
      ['apply', '-f', '-'],
      `apiVersion: example.com/v1\nkind: WorkflowApp\nmetadata:\n  name: owner\nspec:\n  image: x:1\n`,
    );
    return (await tc.ok(['get', 'wfa', 'owner', '-o', 'jsonpath={.metadata.uid}'])).trim();
  }

  test('background: dependents go after their owner', async () => {
    const uid = await makeOwner();
    await tc.ok(['apply', '-f', '-'], owned('child-bg', uid));
    await tc.ok(['delete', 'wfa', 'owner']);
    await tc.ok(['wait', '--for=delete', 'cm/child-bg', '--timeout=10s']);
  });

  test('foreground: the owner stays until blocking dependents are gone', async () => {
    const uid = await makeOwner();
    await tc.ok(
      ['apply', '-f', '-'],
      `${owned('child-fg', uid, true)}`
        .replace('data: {k: v}', 'data: {k: v}\n')
        .replace('metadata:\n', 'metadata:\n  finalizers: [example.com/hold]\n'),
    );
    await tc.ok(['delete', 'wfa', 'owner', '--cascade=foreground', '--wait=false']);
    const owner = JSON.parse(await tc.ok(['get', 'wfa', 'owner', '-o', 'json']));
    assert.ok(owner.metadata.finalizers.includes('foregroundDeletion'));
    await eventually(
      async () => JSON.parse(await tc.ok(['get', 'cm', 'child-fg', '-o', 'json'])).metadata.deletionTimestamp,
      5000,
      'dependent marked for deletion',
    );
    assert.equal((await tc.kubectl(['get', 'wfa', 'owner'])).code, 0, 'owner waits for the blocking dependent');
    await tc.ok(['patch', 'cm', 'child-fg', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await tc.ok(['wait', '--for=delete', 'wfa/owner', '--timeout=10s']);
  });

  test('orphan: dependents stay, without the owner reference', async () => {
    const uid = await makeOwner();
    await tc.ok(['apply', '-f', '-'], owned('child-orphan', uid));
    await tc.ok(['delete', 'wfa', 'owner', '--cascade=orphan']);
    await tc.ok(['wait', '--for=delete', 'wfa/owner', '--timeout=10s']);
    const cm = JSON.parse(await tc.ok(['get', 'cm', 'child-orphan', '-o', 'json']));
    assert.equal(cm.metadata.ownerReferences, undefined);
  });

  test('deleting a namespace deletes its content, then the namespace', async () => {
    await tc.ok(['create', 'namespace', 'doomed']);
    await tc.ok(['-n', 'doomed', 'create', 'configmap', 'c1', '--from-literal=a=b']);
    await tc.ok(
      ['-n', 'doomed', 'apply', '-f', '-'],
      `apiVersion: example.com/v1\nkind: WorkflowApp\nmetadata:\n  name: app\nspec:\n  image: x:1\n`,
    );
    await tc.ok(['delete', 'namespace', 'doomed', '--wait=false']);
    const refused = await tc.kubectl(['-n', 'doomed', 'create', 'configmap', 'late']);
    if (refused.code !== 0) assert.match(refused.stderr, /being terminated|not found/);
    await tc.ok(['wait', '--for=delete', 'namespace/doomed', '--timeout=15s']);
    assert.equal((await tc.ok(['get', 'wfa', '-A', '-o', 'name'])).includes('doomed'), false);
  });
});
