import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseApiPath } from './request-path.ts';

test('kube-apiserver URL layout', () => {
  assert.deepEqual(parseApiPath('/api'), { kind: 'legacy-versions' });
  assert.deepEqual(parseApiPath('/apis/apps'), { kind: 'group', group: 'apps' });
  assert.deepEqual(parseApiPath('/apis/apps/v1'), { kind: 'resource-list', group: 'apps', version: 'v1' });
  const r = (p: string) => {
    const out = parseApiPath(p) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
  };
  assert.deepEqual(r('/api/v1/namespaces'), {
    kind: 'resource',
    group: '',
    version: 'v1',
    plural: 'namespaces',
    watch: false,
  });
  assert.deepEqual(r('/api/v1/namespaces/team'), {
    kind: 'resource',
    group: '',
    version: 'v1',
    plural: 'namespaces',
    name: 'team',
    watch: false,
  });
  assert.deepEqual(r('/api/v1/namespaces/team/status'), {
    kind: 'resource',
    group: '',
    version: 'v1',
    plural: 'namespaces',
    name: 'team',
    subresource: 'status',
    watch: false,
  });
  assert.deepEqual(r('/api/v1/namespaces/team/pods'), {
    kind: 'resource',
    group: '',
    version: 'v1',
    namespace: 'team',
    plural: 'pods',
    watch: false,
  });
  assert.deepEqual(r('/apis/apps/v1/namespaces/team/deployments/web/scale'), {
    kind: 'resource',
    group: 'apps',
    version: 'v1',
    namespace: 'team',
    plural: 'deployments',
    name: 'web',
    subresource: 'scale',
    watch: false,
  });
  assert.deepEqual(r('/api/v1/watch/namespaces/team/configmaps'), {
    kind: 'resource',
    group: '',
    version: 'v1',
    namespace: 'team',
    plural: 'configmaps',
    watch: true,
  });
  assert.equal(parseApiPath('/healthz'), undefined);
  assert.equal(parseApiPath('/api/v1/namespaces/a/pods/b/c/d'), undefined);
});
