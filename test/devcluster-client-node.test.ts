// devcluster judged by @kubernetes/client-node 1.4 — the library the operator uses: typed CRUD,
// KubernetesObjectApi server-side apply, status merge patches, 409 on a stale PUT, informers over
// built-ins and custom resources, and a watch resumed after a restart (410 Expired, then a relist).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { eventually, startTestCluster, WORKFLOWAPP_CRD, type TestCluster } from './devcluster-harness.ts';

let tc: TestCluster;
let kc: k8s.KubeConfig;
const informers: Array<k8s.Informer<k8s.KubernetesObject>> = [];
let shuttingDown = false;

before(async () => {
  tc = await startTestCluster();
  await tc.ok(['apply', '-f', '-'], WORKFLOWAPP_CRD);
  kc = new k8s.KubeConfig();
  kc.loadFromFile(tc.cluster.kubeconfigPath);
});
after(async () => {
  shuttingDown = true;
  for (const i of informers) await i.stop();
  await tc?.stop();
});

const errorBody = (e: unknown) => JSON.parse(String((e as { body?: unknown }).body));

test('typed CRUD: create, read, 409 on a stale PUT, 404 with a Status body', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const created = await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'crud' }, data: { a: '1' } },
  });
  assert.equal(created.metadata?.resourceVersion !== undefined, true);
  const stale = { ...created, data: { a: '2' } };
  await core.replaceNamespacedConfigMap({ name: 'crud', namespace: 'default', body: { ...created, data: { a: '3' } } });
  await assert.rejects(
    core.replaceNamespacedConfigMap({ name: 'crud', namespace: 'default', body: stale }),
    (e: unknown) => {
      assert.equal((e as { code: number }).code, 409);
      const status = errorBody(e);
      assert.equal(status.reason, 'Conflict');
      assert.match(
        status.message,
        /the object has been modified; please apply your changes to the latest version and try again/,
      );
      return true;
    },
  );
  await core.deleteNamespacedConfigMap({ name: 'crud', namespace: 'default' });
  await assert.rejects(core.readNamespacedConfigMap({ name: 'crud', namespace: 'default' }), (e: unknown) => {
    assert.equal((e as { code: number }).code, 404);
    assert.deepEqual(errorBody(e).details, { name: 'crud', kind: 'configmaps' });
    return true;
  });
});

test('KubernetesObjectApi server-side apply with a field manager, then a status merge patch', async () => {
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const app: k8s.KubernetesObject & { spec: Record<string, unknown> } = {
    apiVersion: 'example.com/v1',
    kind: 'WorkflowApp',
    metadata: { name: 'ssa', namespace: 'default' },
    spec: { image: 'engine:1' },
  };
  const applied = await objects.patch(
    app,
    undefined,
    undefined,
    'wf-operator',
    true,
    k8s.PatchStrategy.ServerSideApply,
  );
  assert.equal(applied.spec.replicas, 1, 'schema default applied');
  assert.equal(applied.metadata?.managedFields?.[0]?.manager, 'wf-operator');
  assert.equal(applied.metadata?.managedFields?.[0]?.operation, 'Apply');
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const patched = (await custom.patchNamespacedCustomObjectStatus(
    {
      group: 'example.com',
      version: 'v1',
      namespace: 'default',
      plural: 'workflowapps',
      name: 'ssa',
      body: {
        status: {
          observedGeneration: 1,
          conditions: [{ type: 'Ready', status: 'True', reason: 'Running', message: 'ok' }],
        },
      },
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  )) as { status: { observedGeneration: number }; metadata: { generation: number } };
  assert.equal(patched.status.observedGeneration, 1);
  assert.equal(patched.metadata.generation, 1);
});

test('events.k8s.io Events are the core Events kubectl describe lists; generateName names objects', async () => {
  const events = kc.makeApiClient(k8s.EventsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const cm = await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { generateName: 'gen-' } },
  });
  assert.match(cm.metadata!.name!, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  await events.createNamespacedEvent({
    namespace: 'default',
    body: {
      metadata: { generateName: 'app.' },
      eventTime: new Date().toISOString().replace('Z', '000Z') as unknown as Date,
      reportingController: 'workflow.example.com/operator',
      reportingInstance: 'op-1',
      action: 'Reconcile',
      reason: 'Synced',
      type: 'Normal',
      note: 'configmap is in sync',
      regarding: { kind: 'ConfigMap', name: cm.metadata!.name!, namespace: 'default', uid: cm.metadata!.uid! },
    },
  });
  const listed = await core.listNamespacedEvent({
    namespace: 'default',
    fieldSelector: `involvedObject.name=${cm.metadata!.name},involvedObject.kind=ConfigMap`,
  });
  assert.equal(listed.items.length, 1);
  assert.equal(listed.items[0]!.message, 'configmap is in sync');
  assert.equal(listed.items[0]!.reason, 'Synced');
  await assert.rejects(
    events.createNamespacedEvent({
      namespace: 'default',
      body: { metadata: { name: 'bad' }, eventTime: new Date() as Date },
    }),
    (e: unknown) => (e as { code: number }).code === 422,
  );
});

test('Leases: the optimistic-locking loop leader election relies on', async () => {
  const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
  const lease = await coordination.createNamespacedLease({
    namespace: 'kube-system',
    body: {
      metadata: { name: 'wf-operator' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: new Date() as unknown as k8s.V1MicroTime },
    },
  });
  const renewed = await coordination.replaceNamespacedLease({
    name: 'wf-operator',
    namespace: 'kube-system',
    body: {
      ...lease,
      spec: { ...lease.spec, holderIdentity: 'a', renewTime: new Date() as unknown as k8s.V1MicroTime },
    },
  });
  assert.notEqual(renewed.metadata!.resourceVersion, lease.metadata!.resourceVersion);
  await assert.rejects(
    coordination.replaceNamespacedLease({
      name: 'wf-operator',
      namespace: 'kube-system',
      body: { ...lease, spec: { ...lease.spec, holderIdentity: 'b' } },
    }),
    (e: unknown) => (e as { code: number }).code === 409,
  );
});

test('informers on a built-in and on a custom resource see add, update and delete', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const seen: string[] = [];
  const cms = k8s.makeInformer(
    kc,
    '/api/v1/namespaces/default/configmaps',
    () => core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'app=informed' }),
    'app=informed',
  );
  const apps = k8s.makeInformer(
    kc,
    '/apis/example.com/v1/namespaces/default/workflowapps',
    () =>
      custom.listNamespacedCustomObject({
        group: 'example.com',
        version: 'v1',
        namespace: 'default',
        plural: 'workflowapps',
      }) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>,
  );
  informers.push(cms as k8s.Informer<k8s.KubernetesObject>, apps);
  for (const verb of ['add', 'update', 'delete'] as const) {
    cms.on(verb, (o) => seen.push(`cm:${verb}:${o.metadata?.name}`));
    apps.on(verb, (o) => seen.push(`app:${verb}:${o.metadata?.name}`));
  }
  await cms.start();
  await apps.start();
  await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'watched', labels: { app: 'informed' } } },
  });
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'unlabelled' } } });
  await core.patchNamespacedConfigMap(
    { name: 'watched', namespace: 'default', body: { data: { k: 'v' } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  await core.deleteNamespacedConfigMap({ name: 'watched', namespace: 'default' });
  await custom.createNamespacedCustomObject({
    group: 'example.com',
    version: 'v1',
    namespace: 'default',
    plural: 'workflowapps',
    body: { apiVersion: 'example.com/v1', kind: 'WorkflowApp', metadata: { name: 'informed' }, spec: { image: 'x:1' } },
  });
  await eventually(
    () => seen.includes('cm:delete:watched') && seen.includes('app:add:informed'),
    5000,
    'informer events',
  );
  assert.deepEqual(
    seen.filter((s) => s.startsWith('cm:')),
    ['cm:add:watched', 'cm:update:watched', 'cm:delete:watched'],
  );
  assert.ok(seen.includes('app:add:ssa'), 'the existing custom resource is listed first');
  assert.equal(cms.list('default').length, 0);
  assert.equal(apps.get('informed', 'default')?.metadata?.name, 'informed');
});

test('after a restart an old resourceVersion gets 410 Expired; the informer relists and catches up', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'before-restart', labels: { restart: 'yes' } } },
  });
  const informer = k8s.makeInformer(
    kc,
    '/api/v1/namespaces/default/configmaps',
    () => core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'restart=yes' }),
    'restart=yes',
  );
  informers.push(informer as k8s.Informer<k8s.KubernetesObject>);
  const events: string[] = [];
  informer.on('add', (o) => events.push(`add:${o.metadata?.name}`));
  informer.on('delete', (o) => events.push(`delete:${o.metadata?.name}`));
  // what an operator's informer wrapper does: restart after an error (here: the server going away)
  informer.on('error', () =>
    setTimeout(() => {
      if (!shuttingDown) void informer.start().catch(() => {});
    }, 300),
  );
  await informer.start();
  await eventually(() => events.includes('add:before-restart'), 5000, 'initial list');
  const oldRv = (await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'restart=yes' })).metadata!
    .resourceVersion!;
  // other writes move the global resourceVersion past what this informer has seen
  await core.createNamespacedSecret({
    namespace: 'default',
    body: { metadata: { name: 'unrelated' }, stringData: { s: 't' } },
  });

  await tc.restart();
  // while the informer reconnects: one object goes, one arrives
  await core.deleteNamespacedConfigMap({ name: 'before-restart', namespace: 'default' });
  await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'after-restart', labels: { restart: 'yes' } } },
  });

  const watchEvents: Array<{ type: string; code?: number; reason?: string }> = [];
  await new Promise<void>((resolve) => {
    void new k8s.Watch(kc).watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: oldRv },
      (type, obj) => {
        watchEvents.push({ type, code: obj.code, reason: obj.reason });
      },
      () => resolve(),
    );
  });
  assert.deepEqual(watchEvents, [{ type: 'ERROR', code: 410, reason: 'Expired' }]);

  await eventually(
    () => events.includes('delete:before-restart') && events.includes('add:after-restart'),
    10_000,
    'relist after 410',
  );
  assert.deepEqual(
    informer.list('default').map((o) => o.metadata?.name),
    ['after-restart'],
  );
});
