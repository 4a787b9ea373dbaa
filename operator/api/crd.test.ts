import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { crdYaml, generatedCrds, workflowAppCrd, workflowSourceCrd, workflowTenantCrd } from './crd.ts';
import {
  validateWorkflowAppObject,
  validateWorkflowTenantObject,
  pointerToFieldPath,
  type SchemaNode,
} from './schema.ts';

const crdsDir = new URL('../../crds/', import.meta.url).pathname;

test('crds/ is generated from schema/ (fails when they drift)', () => {
  const kustomization = parse(readFileSync(`${crdsDir}kustomization.yaml`, 'utf8')) as { resources: string[] };
  for (const entry of generatedCrds()) {
    const onDisk = readFileSync(`${crdsDir}${entry.file}`, 'utf8');
    assert.ok(
      onDisk === crdYaml(entry),
      `crds/${entry.file} is out of date with schema/${entry.schemaFile}; regenerate with\n` +
        '  npm run -s wfctl -- operator crds --write crds',
    );
    assert.ok(kustomization.resources.includes(entry.file), `crds/kustomization.yaml lists ${entry.file}`);
  }
});

/** Walks a structural schema and reports nodes Kubernetes would reject. */
function structuralProblems(node: SchemaNode, path: string, inJunctor = false): string[] {
  const out: string[] = [];
  if ('$ref' in node) out.push(`${path}: $ref`);
  if ('const' in node) out.push(`${path}: const`);
  if (node.additionalProperties === false) out.push(`${path}: additionalProperties false`);
  if (node.properties && node.additionalProperties) out.push(`${path}: properties and additionalProperties`);
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (!inJunctor && !intOrString && node.type === undefined && !preserve) out.push(`${path}: no type`);
  if (inJunctor && !intOrString && 'type' in node && path.includes('oneOf')) out.push(`${path}: type inside oneOf`);
  for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, SchemaNode>))
    out.push(...structuralProblems(v, `${path}.${k}`));
  if (node.items) out.push(...structuralProblems(node.items as SchemaNode, `${path}[]`));
  if (typeof node.additionalProperties === 'object')
    out.push(...structuralProblems(node.additionalProperties as SchemaNode, `${path}{}`));
  for (const j of ['oneOf', 'anyOf', 'allOf'] as const) {
    for (const [i, v] of ((node[j] ?? []) as SchemaNode[]).entries())
      out.push(...structuralProblems(v, `${path}.${j}[${i}]`, true));
  }
  return out;
}

test('the generated openAPIV3Schemas are structural', () => {
  for (const { crd } of generatedCrds()) {
    const v = (crd as { spec: { versions: Array<{ schema: { openAPIV3Schema: SchemaNode } }> } }).spec.versions[0]!;
    assert.deepEqual(structuralProblems(v.schema.openAPIV3Schema, 'openAPIV3Schema'), []);
  }
});

test('the WorkflowSource CRD: short name wfs, status subresource, columns SYNC HEALTH REVISION AGE', () => {
  const crd = workflowSourceCrd() as any;
  const v = crd.spec.versions[0];
  assert.equal(crd.metadata.name, 'workflowsources.workflow.gocodealone.com');
  assert.deepEqual(crd.spec.names.shortNames, ['wfs']);
  assert.deepEqual(v.subresources, { status: {} });
  assert.deepEqual(
    v.additionalPrinterColumns.filter((c: any) => !c.priority).map((c: any) => c.name),
    ['Sync', 'Health', 'Revision', 'Age'],
  );
  assert.equal(v.schema.openAPIV3Schema.properties.spec.properties.interval.default, '1m');
});

test('the CRD serves status and scale subresources, short name wfa and the printer columns', () => {
  const crd = workflowAppCrd() as any;
  const v = crd.spec.versions[0];
  assert.deepEqual(crd.spec.names.shortNames, ['wfa']);
  assert.deepEqual(v.subresources.status, {});
  assert.equal(v.subresources.scale.specReplicasPath, '.spec.replicas');
  assert.deepEqual(
    v.additionalPrinterColumns.filter((c: any) => !c.priority).map((c: any) => c.name),
    ['Ready', 'Replicas', 'Available', 'Phase', 'Age'],
  );
});

const good = {
  apiVersion: 'workflow.gocodealone.com/v1alpha1',
  kind: 'WorkflowApp',
  metadata: { name: 'demo' },
  spec: {
    config: 'modules: []\n',
    replicas: 2,
    plugins: [{ name: 'messaging', version: '^1.0.0' }],
    resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: 1 } },
    strategy: { type: 'Canary', canary: { steps: [{ weight: 20, pauseSeconds: 5 }, { weight: 100 }] } },
    service: { type: 'LoadBalancer', ports: [{ name: 'http', port: 8080, targetPort: 'http' }] },
  },
};

test('the schema accepts a full WorkflowApp', () => {
  assert.deepEqual(validateWorkflowAppObject(good), []);
});

test('the schema rejects bad specs with field paths', () => {
  const bad = structuredClone(good) as any;
  bad.spec.replicas = -1;
  bad.spec.strategy.type = 'Sideways';
  bad.spec.resources.limits.cpu = 'lots';
  bad.spec.extra = true;
  const problems = validateWorkflowAppObject(bad);
  const byPath = new Map(problems.map((p) => [pointerToFieldPath(p.pointer), p.message]));
  assert.match(byPath.get('spec.replicas') ?? '', />= 0/);
  assert.match(byPath.get('spec.strategy.type') ?? '', /RollingUpdate/);
  assert.match(byPath.get('spec.resources.limits.cpu') ?? '', /pattern/);
  assert.match(byPath.get('spec') ?? '', /unknown field "extra"/);
});

test('exactly one of config and configMapRef', () => {
  const both = structuredClone(good) as any;
  both.spec.configMapRef = { name: 'x' };
  assert.deepEqual(validateWorkflowAppObject(both), [
    { pointer: '/spec', message: 'set exactly one of spec.config (inline YAML) and spec.configMapRef' },
  ]);
  const neither = structuredClone(good) as any;
  delete neither.spec.config;
  assert.equal(
    validateWorkflowAppObject(neither)[0]?.message,
    'set exactly one of spec.config (inline YAML) and spec.configMapRef',
  );
});

test('the WorkflowTenant CRD: cluster-scoped, short name wft, status subresource, usage columns', () => {
  const crd = workflowTenantCrd() as any;
  const v = crd.spec.versions[0];
  assert.equal(crd.spec.scope, 'Cluster');
  assert.deepEqual(crd.spec.names.shortNames, ['wft']);
  assert.deepEqual(v.subresources, { status: {} });
  assert.deepEqual(
    v.additionalPrinterColumns.filter((c: any) => !c.priority).map((c: any) => c.name),
    ['Apps', 'Replicas', 'Plugins', 'Tier', 'License', 'Age'],
  );
  const ok = {
    apiVersion: 'workflow.gocodealone.com/v1alpha1',
    kind: 'WorkflowTenant',
    metadata: { name: 'acme' },
    spec: {
      namespaces: ['acme-prod'],
      licenseSecretRef: { name: 'acme-license' },
      quotas: { maxApps: 3, allowedTiers: ['core', 'premium'] },
      users: ['alice'],
    },
  };
  assert.deepEqual(validateWorkflowTenantObject(ok), []);
  const bad = validateWorkflowTenantObject({
    ...ok,
    spec: { namespaces: ['Bad_NS'], quotas: { maxApps: -1, allowedTiers: ['gold'] }, extra: 1 },
  });
  assert.deepEqual(bad.map((p) => pointerToFieldPath(p.pointer)).sort(), [
    'spec',
    'spec.namespaces[0]',
    'spec.quotas.allowedTiers[0]',
    'spec.quotas.maxApps',
  ]);
});
