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
import { engineImage } from '../../engine/index.ts';
import { renderWebhookConfigurations } from '../admission/webhook-config.ts';
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
    'Service/workflow-operator-webhook',
    'ServiceAccount/workflow-operator',
  ]);
  const crd = docs.find((d) => d.metadata.name === 'workflowapps.workflow.gocodealone.com')!;
  const generated = parse(readFileSync(join(root, 'crds', crdFileName), 'utf8'));
  assert.deepEqual(crd.spec, generated.spec, 'the CRD is the generated one');

  const deployment = docs.find((d) => d.kind === 'Deployment')!;
  const container = deployment.spec.template.spec.containers[0];
  assert.equal(
    container.image,
    engineImage,
    'the image the release workflow publishes, tagged with the package version',
  );
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
    ['workflow.gocodealone.com', 'workflowtenants', ['list', 'watch']],
    ['workflow.gocodealone.com', 'workflowtenants/status', ['patch']],
    ['', 'namespaces', ['list', 'watch', 'create', 'patch']],
    ['', 'secrets', ['list', 'watch', 'create', 'patch', 'delete']],
    ['', 'resourcequotas', ['create', 'patch', 'delete']],
    ['networking.k8s.io', 'networkpolicies', ['create', 'patch', 'delete']],
    ['rbac.authorization.k8s.io', 'roles', ['create', 'patch', 'escalate', 'bind']],
    ['rbac.authorization.k8s.io', 'rolebindings', ['create', 'patch']],
    ['admissionregistration.k8s.io', 'validatingwebhookconfigurations', ['get', 'create', 'patch']],
    ['admissionregistration.k8s.io', 'mutatingwebhookconfigurations', ['get', 'create', 'patch']],
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
    // the component declares exactly what the operator registers (less the caBundle it injects)
    const rendered = renderWebhookConfigurations({
      endpoint: { service: { namespace: 'workflow-system', name: 'workflow-operator-webhook' } },
      caPem: 'x',
      excludedNamespaces: ['kube-system', 'workflow-system'],
    });
    for (const want of rendered) {
      const got = docs.find((d) => d.kind === want.kind && d.metadata.name === want.metadata?.name);
      assert.ok(got, `${want.kind} ${want.metadata?.name}`);
      const { caBundle: _ca, ...clientConfig } = (want as any).webhooks[0].clientConfig;
      assert.deepEqual(
        { ...got!.webhooks[0], clientConfig: got!.webhooks[0].clientConfig },
        {
          ...(want as any).webhooks[0],
          clientConfig,
        },
      );
    }
    // ...pointing at a Service that exists and reaches the operator's webhook port
    const svc = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'workflow-operator-webhook')!;
    assert.deepEqual(svc.spec.ports[0], { name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' });
    const container = docs.find((d) => d.kind === 'Deployment')!.spec.template.spec.containers[0];
    assert.ok(container.ports.some((p: any) => p.name === 'webhook' && p.containerPort === 9443));
    assert.ok(container.args.includes('--admission-addr=:9443'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
