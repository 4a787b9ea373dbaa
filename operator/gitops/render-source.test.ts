import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryTree } from './repo-tree.ts';
import { renderSource, type RenderOptions } from './render-source.ts';
import { syncStatus } from './sync-status.ts';

const opts: RenderOptions = { source: { namespace: 'team', name: 'apps' }, targetNamespace: 'team', tenant: 'acme' };
const app = (name: string, extra = '') => `apiVersion: workflow.gocodealone.com/v1alpha1
kind: WorkflowApp
metadata:
  name: ${name}${extra}
spec:
  config: |
    modules:
      - name: server
        type: http.server
`;

test('files, multi-document files and plain engine configs become stamped objects in sync order', async () => {
  const tree = new MemoryTree({
    'apps/a.yaml': `${app('a')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {k: v}\n`,
    'apps/sub/hello.yaml': 'modules:\n  - name: server\n    type: http.server\n',
    'apps/s.json': '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"creds"},"stringData":{"token":"t"}}',
    'apps/README.md': '# not a manifest',
    'other/x.yaml': app('elsewhere'),
  });
  const r = await renderSource(tree, { ...opts, path: 'apps' });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    r.objects.map((o) => `${o.kind}/${o.name}@${o.file}:${o.line}`),
    [
      'ConfigMap/settings@apps/a.yaml:11',
      'Secret/creds@apps/s.json:1',
      'WorkflowApp/a@apps/a.yaml:1',
      'WorkflowApp/hello@apps/sub/hello.yaml:1',
    ],
  );
  const a = r.objects.find((o) => o.name === 'a')!.object as any;
  assert.equal(a.metadata.namespace, 'team');
  assert.equal(a.metadata.annotations['workflow.gocodealone.com/source'], 'team/apps');
  assert.ok(a.metadata.annotations['workflow.gocodealone.com/desired-hash']);
  assert.equal(a.metadata.labels['workflow.gocodealone.com/tenant'], 'acme');
  assert.equal(a.spec.tenant, 'acme');
  assert.equal(r.objects.find((o) => o.name === 'a')!.config?.firstLine, 7, 'the inline config starts on line 7');
  const hello = r.objects.find((o) => o.name === 'hello')!.object as any;
  assert.equal(hello.spec.config, 'modules:\n  - name: server\n    type: http.server\n');
  const secret = r.objects.find((o) => o.kind === 'Secret')!.object as any;
  assert.deepEqual(secret.data, { token: Buffer.from('t').toString('base64') });
  assert.equal(secret.stringData, undefined);
});

test('a bad file names its file and line, and never stops the good ones', async () => {
  const tree = new MemoryTree({
    'good.yaml': app('good'),
    'broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: oops\n',
    'deploy.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n',
    'bad-app.yaml': app('bad', '\n  namespace: team').replace('config: |', 'replicas: -1\n  config: |'),
    'elsewhere.yaml': app('x', '\n  namespace: other'),
    'tenant.yaml': app('t').replace('spec:\n', 'spec:\n  tenant: other\n'),
    'dup.yaml': app('good'),
  });
  const r = await renderSource(tree, opts);
  assert.deepEqual(
    r.objects.map((o) => o.name),
    ['good'],
  );
  const byFile = new Map(r.problems.map((p) => [p.file, p]));
  assert.equal(byFile.get('broken.yaml')?.line, 5);
  assert.equal(byFile.get('broken.yaml')?.status, 'Failed');
  assert.match(byFile.get('deploy.yaml')!.message, /apps\/Deployment is not synced.*allowedKinds/);
  assert.equal(byFile.get('deploy.yaml')?.status, 'Refused');
  assert.match(byFile.get('bad-app.yaml')!.message, /spec\.replicas: must be >= 0/);
  assert.equal(byFile.get('bad-app.yaml')?.line, 7);
  assert.match(byFile.get('elsewhere.yaml')!.message, /namespace "other".*"team"/);
  assert.match(byFile.get('tenant.yaml')!.message, /tenant "other".*"acme"/);
  assert.match(r.problems.find((p) => p.file === 'good.yaml' || p.file === 'dup.yaml')!.message, /also defined at/);

  const allowed = await renderSource(tree, { ...opts, allowedKinds: [{ group: 'apps', kind: 'Deployment' }] });
  assert.ok(allowed.objects.some((o) => o.kind === 'Deployment'));
});

test('kustomization: resources, namePrefix with references, labels, patches; unsupported fields reported', async () => {
  const tree = new MemoryTree({
    'base/kustomization.yaml': 'resources: [app.yaml, cm.yaml]\n',
    'base/app.yaml': app('shop')
      .replace('spec:\n', 'spec:\n  configMapRef: {name: shop-config}\n')
      .replace(/ {2}config: \|[\s\S]*/, ''),
    'base/cm.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shop-config}\ndata:\n  workflow.yaml: "modules: []"\n',
    'prod/kustomization.yaml': [
      'resources: [../base]',
      'namePrefix: prod-',
      'commonLabels: {env: prod}',
      'patches:',
      '  - target: {kind: WorkflowApp, name: shop}',
      '    patch: |',
      '      - op: add',
      '        path: /spec/replicas',
      '        value: 3',
      '  - patch: |',
      '      apiVersion: v1',
      '      kind: ConfigMap',
      '      metadata: {name: shop-config}',
      '      data: {extra: "1"}',
      '',
    ].join('\n'),
    'bad/kustomization.yaml': 'resources: [x.yaml]\nimages:\n  - name: e\n',
    'bad/x.yaml': app('x'),
  });
  const prod = await renderSource(tree, { ...opts, path: 'prod' });
  assert.deepEqual(prod.problems, []);
  const shop = prod.objects.find((o) => o.kind === 'WorkflowApp')!;
  assert.equal(shop.name, 'prod-shop');
  assert.equal(shop.file, 'base/app.yaml');
  const obj = shop.object as any;
  assert.equal(obj.spec.replicas, 3);
  assert.equal(obj.spec.configMapRef.name, 'prod-shop-config');
  assert.equal(obj.metadata.labels.env, 'prod');
  const cm = prod.objects.find((o) => o.kind === 'ConfigMap')!.object as any;
  assert.deepEqual(cm.data, { 'workflow.yaml': 'modules: []', extra: '1' });

  const bad = await renderSource(tree, { ...opts, path: 'bad' });
  assert.equal(bad.objects.length, 0);
  assert.equal(bad.problems[0]?.file, 'bad/kustomization.yaml');
  assert.equal(bad.problems[0]?.line, 2);
  assert.match(bad.problems[0]!.message, /"images" is not supported/);
});

const syncTable: Array<[string, unknown, unknown, string]> = [
  ['missing', { spec: { a: 1 } }, undefined, 'OutOfSync'],
  ['equal', { spec: { a: 1 } }, { spec: { a: 1 } }, 'Synced'],
  ['defaults added live', { spec: { a: 1 } }, { spec: { a: 1, b: 2 }, status: {} }, 'Synced'],
  ['field changed', { spec: { a: 1 } }, { spec: { a: 3 } }, 'OutOfSync'],
  ['list shorter', { spec: { l: [1, 2] } }, { spec: { l: [1] } }, 'OutOfSync'],
];
for (const [name, desired, live, want] of syncTable) {
  test(`syncStatus: ${name} -> ${want}`, () => {
    assert.equal(syncStatus(desired, live).status, want);
  });
}

test('syncStatus names the first field that drifted', () => {
  assert.equal(
    syncStatus({ spec: { replicas: 1 } }, { spec: { replicas: 3 } }).message,
    'spec.replicas: live 3, git 1',
  );
});
