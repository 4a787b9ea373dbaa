import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { typeListItems } from './informer.ts';

test('listed items get the type their list names; a type already there is kept', () => {
  const list: KubernetesListObject<KubernetesObject> = {
    apiVersion: 'apps/v1',
    kind: 'DeploymentList',
    metadata: {},
    items: [{ metadata: { name: 'a' } }, { apiVersion: 'apps/v1beta2', kind: 'Deployment', metadata: { name: 'b' } }],
  };
  typeListItems(list);
  assert.deepEqual(
    list.items.map((o) => [o.apiVersion, o.kind, o.metadata?.name]),
    [
      ['apps/v1', 'Deployment', 'a'],
      ['apps/v1beta2', 'Deployment', 'b'],
    ],
  );
});

test('a list without a kind leaves the items untyped rather than guessing', () => {
  const list = {
    apiVersion: 'v1',
    metadata: {},
    items: [{ metadata: { name: 'a' } }],
  } as KubernetesListObject<KubernetesObject>;
  typeListItems(list);
  assert.equal(list.items[0]!.kind, undefined);
  assert.equal(list.items[0]!.apiVersion, 'v1');
});
