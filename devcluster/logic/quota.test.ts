import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import { countName, missingCompute, podInScopes, usageOf } from './quota.ts';

const type = (group: string, plural: string, storageKey: string) => ({ group, plural, storageKey }) as ResourceType;
const PODS = type('', 'pods', '/pods');
const pod = (containers: unknown[], extra: Record<string, unknown> = {}): KubeObject =>
  ({ metadata: { name: 'p' }, spec: { containers, ...extra }, status: {} }) as unknown as KubeObject;

test('object counts: count/<resource>[.<group>] and the short core names', () => {
  assert.equal(countName(type('apps', 'deployments', 'apps/deployments')), 'count/deployments.apps');
  const cm = usageOf(type('', 'configmaps', '/configmaps'), { metadata: {} } as KubeObject);
  assert.deepEqual(Object.fromEntries(cm), { 'count/configmaps': 1, configmaps: 1 });
  const nodePort = usageOf(type('', 'services', '/services'), {
    metadata: {},
    spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 443 }] },
  } as unknown as KubeObject);
  assert.equal(nodePort.get('services.nodeports'), 2);
  assert.equal(nodePort.get('services.loadbalancers'), undefined);
});

test('pods count their requests (limits when requests are unset) and limits; finished pods count nothing', () => {
  const usage = usageOf(
    PODS,
    pod([
      { name: 'a', resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1' } } },
      { name: 'b', resources: { limits: { cpu: '500m' } } },
    ]),
  );
  assert.equal(usage.get('pods'), 1);
  assert.equal(usage.get('requests.cpu'), 0.75);
  assert.equal(usage.get('limits.cpu'), 1.5);
  assert.equal(usage.get('requests.memory'), 64 * 1024 * 1024);
  const done = pod([{ name: 'a' }]);
  done.status = { phase: 'Succeeded' };
  assert.equal(usageOf(PODS, done).size, 0);
});

test('claims count storage in total and per class', () => {
  const usage = usageOf(type('', 'persistentvolumeclaims', '/persistentvolumeclaims'), {
    metadata: {},
    spec: { storageClassName: 'local-path', resources: { requests: { storage: '1Gi' } } },
  } as unknown as KubeObject);
  assert.equal(usage.get('requests.storage'), 2 ** 30);
  assert.equal(usage.get('local-path.storageclass.storage.k8s.io/requests.storage'), 2 ** 30);
  assert.equal(usage.get('local-path.storageclass.storage.k8s.io/persistentvolumeclaims'), 1);
});

test('a pod must set what a quota limits; scopes select pods', () => {
  const p = pod([{ name: 'a', resources: { limits: { memory: '1Gi' } } }, { name: 'b' }]);
  assert.deepEqual(missingCompute(p, { 'requests.memory': '2Gi', 'limits.cpu': '2', pods: '3' }), [
    'requests.memory for: b',
    'limits.cpu for: a,b',
  ]);
  assert.ok(podInScopes(pod([{ name: 'a' }]), ['BestEffort', 'NotTerminating']));
  assert.ok(!podInScopes(p, ['BestEffort']));
  assert.ok(podInScopes(pod([{ name: 'a' }], { activeDeadlineSeconds: 5 }), ['Terminating']));
});
