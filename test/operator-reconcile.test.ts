// The operator against devcluster with real kubectl: owned objects, status, zero writes at steady
// state, an invalid config that leaves the running version alone, self-healing of a deleted
// Deployment, scaling through the scale subresource, and garbage collection on delete.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { appManifest, condition, eventually, repoRoot, startHarness, type Harness } from './operator-harness.ts';
import type { RunningOperator } from '../operator/index.ts';

let h: Harness;
let op: RunningOperator;
const example = readFileSync(`${repoRoot}examples/greeter.workflowapp.yaml`, 'utf8');

before(async () => {
  h = await startHarness();
  op = await h.startOperator({ resyncMs: 300 });
});
after(async () => {
  await h?.stop();
});

const reconciles = async () => (await op.metrics.reconcileTotal.get()).values.reduce((n, v) => n + v.value, 0);

test('kubectl apply of an example creates its ConfigMap, Deployment and Service, owned and labelled', {
  timeout: 60_000,
}, async () => {
  await h.apply(example);
  const dep = await eventually('Deployment greeter', () => h.json('get', 'deployment', 'greeter'));
  const app = await h.json('get', 'wfa', 'greeter');
  for (const kind of ['configmap/greeter-config', 'service/greeter']) {
    const obj = await h.json('get', kind);
    assert.equal(obj.metadata.ownerReferences[0].uid, app.metadata.uid, `${kind} is owned by the app`);
    assert.equal(obj.metadata.labels['app.kubernetes.io/managed-by'], 'workflow-operator');
    assert.equal(obj.metadata.labels['app.kubernetes.io/instance'], 'greeter');
  }
  assert.equal(dep.spec.replicas, 2);
  assert.deepEqual(dep.spec.template.spec.containers[0].args, ['run', '/etc/workflow/workflow.yaml']);
  assert.ok(dep.spec.template.metadata.annotations['workflow.gocodealone.com/config-hash']);
  const svc = await h.json('get', 'service', 'greeter');
  assert.equal(svc.spec.type, 'LoadBalancer');
  const status = await eventually('status', async () => {
    const a = await h.json('get', 'wfa', 'greeter');
    return condition(a, 'ConfigValid')?.status === 'True' && a.status;
  });
  assert.equal(status.observedGeneration, app.metadata.generation);
  assert.match(condition({ status }, 'ConfigValid').message, /health\.checker .* added/);
  const table = await h.kubectl('get', 'wfa');
  assert.match(table.split('\n')[0]!, /NAME\s+READY\s+REPLICAS\s+AVAILABLE\s+PHASE\s+AGE/);
  const events = await h.kubectl(
    'get',
    'events',
    '--field-selector',
    'involvedObject.name=greeter,involvedObject.kind=WorkflowApp',
  );
  assert.match(events, /Synced.*created ConfigMap greeter-config, created Deployment greeter, created Service greeter/);
});

test('no writes at steady state: resyncs of an unchanged app change nothing', { timeout: 60_000 }, async () => {
  // Let the creation settle, then count writes across several resyncs (every 300 ms here).
  let before = -1;
  await eventually(
    'a quiet period',
    async () => {
      const now = await op.metrics.writes();
      const quiet = now === before && op.controller()!.idle();
      before = now;
      return quiet;
    },
    30_000,
    1_000,
  );
  const r0 = await reconciles();
  await eventually('three resyncs', async () => (await reconciles()) >= r0 + 3);
  assert.equal(await op.metrics.writes(), before, 'no API writes');
});

test('an invalid config sets ConfigValid=False with file:line and leaves the Deployment alone', {
  timeout: 60_000,
}, async () => {
  const revision = (await h.json('get', 'deployment', 'greeter')).metadata.annotations[
    'workflow.gocodealone.com/revision'
  ];
  await h.apply(example.replace('type: http.router', 'type: http.routr'));
  const app = await eventually('ConfigValid=False', async () => {
    const a = await h.json('get', 'wfa', 'greeter');
    return (
      condition(a, 'ConfigValid')?.status === 'False' &&
      condition(a, 'ConfigValid').observedGeneration === a.metadata.generation &&
      a
    );
  });
  assert.match(
    condition(app, 'ConfigValid').message,
    /^spec\.config:\d+:\d+: error: unknown module type "http\.routr"/,
  );
  assert.equal(condition(app, 'Ready').status, 'False');
  assert.equal(app.status.phase, 'Failed');
  const dep = await h.json('get', 'deployment', 'greeter');
  assert.equal(dep.metadata.annotations['workflow.gocodealone.com/revision'], revision, 'running version untouched');
  const events = await h.kubectl(
    'get',
    'events',
    '--field-selector',
    'involvedObject.name=greeter,reason=InvalidConfig',
  );
  assert.match(events, /unknown module type/);
  await h.apply(example);
  await eventually(
    'ConfigValid=True again',
    async () => condition(await h.json('get', 'wfa', 'greeter'), 'ConfigValid')?.status === 'True',
  );
});

test('a deleted owned Deployment is recreated', { timeout: 60_000 }, async () => {
  const old = await h.json('get', 'deployment', 'greeter');
  await h.kubectl('delete', 'deployment', 'greeter', '--wait=false');
  const fresh = await eventually('a new Deployment', async () => {
    const d = await h.json('get', 'deployment', 'greeter').catch(() => undefined);
    return d && d.metadata.uid !== old.metadata.uid && d;
  });
  assert.equal(fresh.spec.replicas, 2);
});

test('kubectl scale on the WorkflowApp scales the Deployment', { timeout: 60_000 }, async () => {
  await h.kubectl('scale', 'wfa/greeter', '--replicas=3');
  await eventually('3 replicas', async () => (await h.json('get', 'deployment', 'greeter')).spec.replicas === 3);
});

test('spec.suspend stops reconciling until it is lifted', { timeout: 60_000 }, async () => {
  await h.kubectl('patch', 'wfa', 'greeter', '--type', 'merge', '-p', '{"spec":{"suspend":true}}');
  await eventually(
    'phase Suspended',
    async () => (await h.json('get', 'wfa', 'greeter')).status?.phase === 'Suspended',
  );
  await h.kubectl('scale', 'wfa/greeter', '--replicas=1');
  // the second reconcile to finish after the scale surely started after it
  const r0 = await reconciles();
  await eventually('a reconcile of the scaled app', async () => (await reconciles()) >= r0 + 2);
  assert.equal((await h.json('get', 'deployment', 'greeter')).spec.replicas, 3, 'left alone while suspended');
  await h.kubectl('patch', 'wfa', 'greeter', '--type', 'merge', '-p', '{"spec":{"suspend":false}}');
  await eventually(
    'scaled once resumed',
    async () => (await h.json('get', 'deployment', 'greeter')).spec.replicas === 1,
  );
});

test('deleting the WorkflowApp garbage-collects everything it owns', { timeout: 60_000 }, async () => {
  await h.kubectl('delete', 'wfa', 'greeter');
  await eventually('owned objects gone', async () => {
    const left = await h.kubectl('get', 'deploy,svc,cm', '-l', 'app.kubernetes.io/instance=greeter', '-o', 'name');
    return left.trim() === '';
  });
});

test('configMapRef: the referenced ConfigMap is watched; an edit rolls the app, a broken edit is refused', {
  timeout: 120_000,
}, async () => {
  const file = readFileSync(`${repoRoot}examples/workflowapp-configmap/app.yaml`, 'utf8');
  await h.apply(file);
  await h.kubectl('wait', '--for=condition=Ready', '--timeout=90s', 'wfa/inventory');
  const before = await h.json('get', 'deployment', 'inventory');
  await h.apply(file.replace('items: 3', 'items: 4'));
  const rolled = await eventually('a new revision from the edited ConfigMap', async () => {
    const d = await h.json('get', 'deployment', 'inventory');
    return (
      d.metadata.annotations['workflow.gocodealone.com/revision'] !==
        before.metadata.annotations['workflow.gocodealone.com/revision'] && d
    );
  });
  assert.match(
    (await h.json('get', 'configmap', 'inventory-config')).data['workflow.yaml'],
    /items: 4/,
    'the operator ships the edited config',
  );
  await h.apply(file.replace('type: http.router', 'type: http.routr'));
  const app = await eventually('ConfigValid=False', async () => {
    const a = await h.json('get', 'wfa', 'inventory');
    return condition(a, 'ConfigValid')?.status === 'False' && a;
  });
  assert.match(
    condition(app, 'ConfigValid').message,
    /^configmap\/inventory-workflow\/workflow\.yaml:\d+:\d+: error: unknown module type/,
  );
  const after = await h.json('get', 'deployment', 'inventory');
  assert.equal(
    after.metadata.annotations['workflow.gocodealone.com/revision'],
    rolled.metadata.annotations['workflow.gocodealone.com/revision'],
  );
  await h.kubectl('delete', 'configmap', 'inventory-workflow');
  await eventually(
    'ConfigMapNotFound',
    async () => condition(await h.json('get', 'wfa', 'inventory'), 'ConfigValid')?.reason === 'ConfigMapNotFound',
  );
  await h.kubectl('delete', 'wfa', 'inventory');
});

test('an object of someone else under a name the operator derives is never taken over', {
  timeout: 60_000,
}, async () => {
  await h.kubectl('create', 'configmap', 'clash-config', '--from-literal=owner=me');
  await h.apply(
    readFileSync(`${repoRoot}examples/greeter.workflowapp.yaml`, 'utf8').replace(
      'name: greeter\n  namespace',
      'name: clash\n  namespace',
    ),
  );
  const app = await eventually('NameConflict', async () => {
    const a = await h.json('get', 'wfa', 'clash');
    return condition(a, 'Ready')?.reason === 'NameConflict' && a;
  });
  assert.match(condition(app, 'Ready').message, /ConfigMap default\/clash-config already exists and is not this app's/);
  const cm = await h.json('get', 'configmap', 'clash-config');
  assert.deepEqual(cm.data, { owner: 'me' });
  assert.equal(cm.metadata.ownerReferences, undefined);
  await assert.rejects(h.kubectl('get', 'deployment', 'clash'), /not found/, 'nothing applied');
  await h.kubectl('delete', 'configmap', 'clash-config');
  // (found by the resync here; every 30 s otherwise)
  await h.kubectl('wait', '--for=condition=Ready', '--timeout=90s', 'wfa/clash');
  await h.kubectl('delete', 'wfa', 'clash');
});

test('a server error on apply is shown as Ready=False ReconcileError while retried, and clears', {
  timeout: 120_000,
}, async () => {
  // A webhook nobody serves, failurePolicy Fail, on this app's Service only: the apply gets a 500
  // ("failed calling webhook"), which the operator retries with backoff.
  await h.apply(`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: unreachable
webhooks:
  - name: unreachable.example.com
    clientConfig: { url: "https://127.0.0.1:1/" }
    rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["services"] }]
    objectSelector: { matchLabels: { app.kubernetes.io/instance: stuck } }
    failurePolicy: Fail
    sideEffects: None
    admissionReviewVersions: ["v1"]
`);
  await h.apply(appManifest('stuck'));
  const app = await eventually('ReconcileError', async () => {
    const a = await h.json('get', 'wfa', 'stuck');
    return condition(a, 'Ready')?.reason === 'ReconcileError' && a;
  });
  assert.equal(condition(app, 'Ready').status, 'False');
  assert.match(condition(app, 'Ready').message, /^apply Service default\/stuck: .*failed calling webhook "unreachable/);
  assert.notEqual(app.status.phase, 'Failed');
  // Still retried, but the unchanged failure writes nothing more to the app.
  const r0 = await reconciles();
  await eventually('three more reconciles', async () => (await reconciles()) >= r0 + 3);
  const again = await h.json('get', 'wfa', 'stuck');
  assert.equal(again.metadata.resourceVersion, app.metadata.resourceVersion, 'no status rewrites');
  const events = await h.kubectl(
    'get',
    'events',
    '--field-selector',
    'involvedObject.name=stuck,involvedObject.kind=WorkflowApp,type=Warning',
  );
  assert.match(events, /ReconcileError.*apply Service default\/stuck/);
  await h.kubectl('delete', 'validatingwebhookconfiguration', 'unreachable');
  await h.kubectl('wait', '--for=condition=Ready', '--timeout=90s', 'wfa/stuck');
  await h.kubectl('delete', 'wfa', 'stuck');
});
