// `kubectl kustomize operator/deploy` renders cleanly with the real kubectl, carries the generated
// CRD unchanged, and grants the operator what it uses (no wildcard verbs or resources).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { engineVersion } from '../../engine/index.ts';
import { crdFileName } from '../api/crd.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

async function kustomize(dir: string): Promise<Array<Record<string, any>>> {
  const { stdout } = await run('kubectl', ['kustomize', dir], { cwd: root, timeout: 60_000 });
  return parseAllDocuments(stdout).map((d) => d.toJS() as Record<string, any>);
}

test('kubectl kustomize operator/deploy renders the install', { timeout: 90_000 }, async () => {
  const docs = await kustomize('operator/deploy');
  const kinds = docs.map((d) => `${d.kind}/${d.metadata.name}`).sort();
  assert.deepEqual(kinds, [
    'ClusterRole/workflow-operator',
    'ClusterRoleBinding/workflow-operator',
    'CustomResourceDefinition/workflowapps.workflow.gocodealone.com',
    'CustomResourceDefinition/workflowsources.workflow.gocodealone.com',
    'CustomResourceDefinition/workflowtenants.workflow.gocodealone.com',
    'Deployment/workflow-operator',
    'Namespace/workflow-system',
    'Role/workflow-operator-leader-election',
    'RoleBinding/workflow-operator-leader-election',
    'Service/workflow-operator-metrics',
    'ServiceAccount/workflow-operator',
  ]);
  const crd = docs.find((d) => d.metadata.name === 'workflowapps.workflow.gocodealone.com')!;
  const generated = parse(readFileSync(join(root, 'crds', crdFileName), 'utf8'));
  assert.deepEqual(crd.spec, generated.spec, 'the CRD is the generated one');

  const deployment = docs.find((d) => d.kind === 'Deployment')!;
  const container = deployment.spec.template.spec.containers[0];
  assert.equal(container.image, `workflow-engine:${engineVersion}`, 'image tag follows the package version');
  assert.equal(container.args[0], 'operator');
  assert.ok(container.readinessProbe && container.livenessProbe);
  assert.equal(deployment.metadata.namespace, 'workflow-system');

  const rules = docs
    .filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role')
    .flatMap((d) => d.rules as Array<Record<string, string[]>>);
  for (const r of rules) {
    assert.ok(!r.verbs!.includes('*') && !r.resources!.includes('*'), 'no wildcards');
  }
  const can = (group: string, resource: string, verb: string) =>
    rules.some((r) => r.apiGroups!.includes(group) && r.resources!.includes(resource) && r.verbs!.includes(verb));
  for (const [g, res, verbs] of [
    ['workflow.gocodealone.com', 'workflowapps', ['list', 'watch']],
    ['workflow.gocodealone.com', 'workflowapps/status', ['patch']],
    ['apps', 'deployments', ['list', 'watch', 'patch', 'delete']],
    ['apps', 'deployments/scale', ['patch']],
    ['', 'services', ['list', 'watch', 'patch', 'delete']],
    ['', 'configmaps', ['list', 'watch', 'patch', 'delete']],
    ['', 'events', ['create', 'patch']],
    ['coordination.k8s.io', 'leases', ['get', 'create', 'update']],
  ] as const) {
    for (const v of verbs) assert.ok(can(g, res, v), `may ${v} ${g}/${res}`);
  }
});

test('the optional webhook component renders with the base', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kustomize-'));
  try {
    cpSync(join(root, 'operator/deploy'), join(dir, 'deploy'), { recursive: true });
    cpSync(join(root, 'crds'), join(dir, 'crds'), { recursive: true });
    const base = readFileSync(join(dir, 'deploy/kustomization.yaml'), 'utf8').replace('../../crds', '../crds');
    writeFileSync(join(dir, 'deploy/kustomization.yaml'), `${base}components:\n  - webhook\n`);
    const docs = await kustomize(join(dir, 'deploy'));
    const hook = docs.find((d) => d.kind === 'ValidatingWebhookConfiguration');
    assert.equal(hook?.webhooks[0].clientConfig.service.namespace, 'workflow-system');
    assert.equal(hook?.webhooks[0].sideEffects, 'None');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
