import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crdHash, shippedCrds } from './crds.ts';

test('every CRD the repository ships is installed, each with a stable hash', () => {
  const crds = shippedCrds();
  assert.deepEqual(
    crds.map((c) => c.metadata?.name),
    [
      'workflowapps.workflow.gocodealone.com',
      'workflowsources.workflow.gocodealone.com',
      'workflowtenants.workflow.gocodealone.com',
    ],
  );
  for (const crd of crds) assert.equal(crdHash(crd), crdHash(structuredClone(crd)));
  const changed = structuredClone(crds[0]!);
  changed.spec.names.shortNames = ['x'];
  assert.notEqual(crdHash(changed), crdHash(crds[0]!));
});
