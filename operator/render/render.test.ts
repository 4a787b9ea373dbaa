import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveSpec } from '../api/defaults.ts';
import type { WorkflowApp } from '../api/types.ts';
import { assertSnapshot, snapshotFile } from '../testing/snapshot.ts';
import { prepareEngineConfig } from './engine-config.ts';
import {
  buildVersion,
  previewServiceName,
  renderConfigMap,
  renderDeployment,
  renderService,
  serviceName,
} from './render.ts';

const snapshots = snapshotFile(import.meta.url);

const config = `modules:
  - name: server
    type: http.server
    config:
      address: ":8080"
  - name: router
    type: http.router
    dependsOn: [server]
workflows:
  http:
    server: server
    router: router
    routes: []
`;

function app(spec: WorkflowApp['spec'] = {}): WorkflowApp {
  return {
    apiVersion: 'workflow.gocodealone.com/v1alpha1',
    kind: 'WorkflowApp',
    metadata: { name: 'orders', namespace: 'shop', uid: '3f1c7a5e-0000-4000-8000-000000000001', generation: 1 },
    spec: { config, ...spec },
  };
}

function version(a: WorkflowApp, text = config) {
  return buildVersion(a, effectiveSpec(a, 'workflow-engine:0.1.0'), prepareEngineConfig(text), [
    { name: 'messaging', range: '^1.0.0', version: '1.2.3', sha256: 'ab'.repeat(32) },
  ]);
}

test('prepareEngineConfig appends a health.checker to an HTTP config without one', () => {
  const p = prepareEngineConfig(config);
  assert.equal(p.injectedHealthChecker, true);
  assert.deepEqual(p.probes, { readyPath: '/readyz', livePath: '/livez' });
  assert.match(p.yaml, /- name: workflow-operator-health\n {4}type: health.checker\n/);
  assert.match(p.yaml, /address: ":8080"/, 'the rest of the document is kept as written');
});

test('prepareEngineConfig probes the paths of an existing health.checker', () => {
  const p = prepareEngineConfig(
    `${config.split('workflows:')[0]}  - name: health\n    type: health.checker\n    config:\n      ` +
      `readyPath: /ready\n      livePath: /alive\n`,
  );
  assert.equal(p.injectedHealthChecker, false);
  assert.deepEqual(p.probes, { readyPath: '/ready', livePath: '/alive' });
});

test('prepareEngineConfig leaves a config without an HTTP server alone and gives no probes', () => {
  const text = 'modules:\n  - name: broker\n    type: messaging.broker\n';
  assert.deepEqual(prepareEngineConfig(text), { yaml: text, probes: null, injectedHealthChecker: false });
});

test('render: ConfigMap, Deployment and Service of a RollingUpdate app (snapshot)', () => {
  const a = app({
    replicas: 2,
    env: [{ name: 'LOG_LEVEL', value: 'debug' }],
    resources: { limits: { memory: '256Mi' } },
  });
  const v = version(a);
  assertSnapshot(snapshots, 'rolling', [
    renderConfigMap(a, v, 'stable'),
    renderDeployment(a, v, 'stable', 2),
    renderService(a, v.spec, { name: serviceName(a) }),
  ]);
});

test('render: blue-green track Deployment and the Services that select it (snapshot)', () => {
  const a = app({
    strategy: { type: 'BlueGreen', progressDeadlineSeconds: 30 },
    tenant: 'acme',
    licenseSecretRef: { name: 'acme-license' },
    service: { type: 'LoadBalancer', annotations: { 'example.com/lb': 'internal' } },
  });
  const v = version(a);
  assertSnapshot(snapshots, 'blue-green', [
    renderDeployment(a, v, 'green', 1),
    renderService(a, v.spec, { name: serviceName(a), track: 'blue' }),
    renderService(a, v.spec, { name: previewServiceName(a), track: 'green' }),
  ]);
});

test('the revision changes with the pods, not with replicas or track', () => {
  const a = app();
  const v = version(a);
  assert.equal(version(app({ replicas: 5 })).revision, v.revision);
  assert.notEqual(version(a, config.replace(':8080', ':9090')).revision, v.revision);
  assert.notEqual(version(app({ image: 'workflow-engine:9.9.9' })).revision, v.revision);
  const stable = renderDeployment(a, v, 'stable', 1);
  const canary = renderDeployment(a, v, 'canary', 1);
  assert.equal(
    stable.metadata?.annotations?.['workflow.gocodealone.com/revision'],
    canary.metadata?.annotations?.['workflow.gocodealone.com/revision'],
  );
  assert.equal(canary.spec?.template.spec?.volumes?.[0]?.configMap?.name, 'orders-canary-config');
});

test('a config change changes the pod template annotation, so the pods roll', () => {
  const a = app();
  const before = renderDeployment(a, version(a), 'stable', 1).spec?.template.metadata?.annotations;
  const after = renderDeployment(a, version(a, config.replace(':8080', ':9090')), 'stable', 1).spec?.template.metadata
    ?.annotations;
  assert.notDeepEqual(before, after);
});

test('user env cannot override the variables the operator owns', () => {
  const a = app({
    env: [
      { name: 'WORKFLOW_ADDR', value: ':1' },
      { name: 'X', value: 'y' },
    ],
  });
  const env = renderDeployment(a, version(a), 'stable', 1).spec?.template.spec?.containers[0]?.env ?? [];
  assert.deepEqual(
    env.map((e) => `${e.name}=${e.value}`),
    ['WORKFLOW_ADDR=:8080', 'X=y'],
  );
});

test('render is deterministic: the desired-hash annotation is stable', () => {
  const a = app();
  const h = (d: ReturnType<typeof renderDeployment>) =>
    d.metadata?.annotations?.['workflow.gocodealone.com/desired-hash'];
  assert.equal(h(renderDeployment(a, version(a), 'stable', 1)), h(renderDeployment(a, version(a), 'stable', 1)));
  assert.notEqual(h(renderDeployment(a, version(a), 'stable', 1)), h(renderDeployment(a, version(a), 'stable', 2)));
});
