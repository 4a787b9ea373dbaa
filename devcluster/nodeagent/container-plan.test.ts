import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../resources/object-meta.ts';
import { expandVars, imageName, PlanError, planContainer, type Container, type PlanInput } from './container-plan.ts';

const pod = (container: Container, volumes: object[] = []): KubeObject => ({
  metadata: { name: 'app-1', namespace: 'team', uid: 'u1', labels: { app: 'app' } },
  spec: { containers: [container], volumes },
});

const input = (container: Container, volumes: object[] = [], extra: Partial<PlanInput> = {}): PlanInput => ({
  pod: pod(container, volumes),
  container,
  runtime: { command: ['/usr/bin/node', '/repo/bin/wfctl.js'], defaultArgs: ['run'], entrypointName: 'wfctl' },
  runnableImages: ['workflow-engine'],
  podDir: '/pods/app-1',
  hostPort: 31000,
  apiServer: { host: '127.0.0.1', port: 6443 },
  configMap: (name) => (name === 'cfg' ? { 'workflow.yaml': 'modules: []', level: 'debug' } : undefined),
  secret: (name) => (name === 'creds' ? { token: Buffer.from('s3cret') } : undefined),
  baseEnv: { PATH: '/usr/bin' },
  ...extra,
});

test('image names ignore registry, tag and digest', () => {
  assert.equal(imageName('ghcr.io/acme/workflow-engine:1.2@sha256:abc'), 'workflow-engine');
  assert.equal(imageName('localhost:5000/workflow-engine'), 'workflow-engine');
});

test('the engine contract: args with mounted paths rewritten, env mapped, WORKFLOW_ADDR and PORT set', () => {
  const plan = planContainer(
    input(
      {
        name: 'engine',
        image: 'workflow-engine:1',
        args: ['run', '/etc/workflow/workflow.yaml', '--data=/var/data/x'],
        ports: [{ containerPort: 8080 }],
        env: [
          { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'level' } } },
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'CONFIG', value: '/etc/workflow/$(LEVEL).yaml' },
        ],
        envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'cfg' } }],
        volumeMounts: [
          { name: 'config', mountPath: '/etc/workflow' },
          { name: 'data', mountPath: '/var/data' },
        ],
      },
      [
        { name: 'config', configMap: { name: 'cfg', items: [{ key: 'workflow.yaml', path: 'workflow.yaml' }] } },
        { name: 'data', emptyDir: {} },
      ],
    ),
  );
  assert.equal(plan.command, '/usr/bin/node');
  assert.deepEqual(plan.args, [
    '/repo/bin/wfctl.js',
    'run',
    '/pods/app-1/volumes/config/workflow.yaml',
    '--data=/pods/app-1/volumes/data/x',
  ]);
  assert.equal(plan.env.WORKFLOW_ADDR, '127.0.0.1:31000');
  assert.equal(plan.env.PORT, '31000');
  assert.equal(plan.env.LEVEL, 'debug');
  assert.equal(plan.env.TOKEN, 's3cret');
  assert.equal(plan.env.POD, 'app-1');
  assert.equal(plan.env.APP, 'app');
  assert.equal(plan.env.CONFIG, '/pods/app-1/volumes/config/debug.yaml');
  assert.equal(plan.env.CFG_level, 'debug');
  assert.equal(plan.env.KUBERNETES_SERVICE_PORT, '6443');
  assert.deepEqual(
    plan.files.map((f) => [f.path, f.content.toString()]),
    [['/pods/app-1/volumes/config/workflow.yaml', 'modules: []']],
  );
  assert.deepEqual(plan.readiness, {
    kind: 'http',
    port: 31000,
    path: '/readyz',
    initialDelayMs: 0,
    timeoutMs: 1000,
    periodMs: 1000,
    successThreshold: 1,
    failureThreshold: 3,
  });
});

test('failures carry the kubelet waiting reasons', () => {
  const reason = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof PlanError);
      return `${e.reason}: ${e.message}`;
    }
    return 'no error';
  };
  assert.match(
    reason(() => planContainer(input({ name: 'c', image: 'nginx:1' }, [], { runtime: undefined }))),
    /^ErrImageNeverPull: .*runs only workflow-engine:\* images.*"nginx:1"/,
  );
  assert.match(
    reason(() =>
      planContainer(
        input({
          name: 'c',
          image: 'workflow-engine:1',
          env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'missing', key: 'k' } } }],
        }),
      ),
    ),
    /^CreateContainerConfigError: configmap "missing" not found/,
  );
  assert.match(
    reason(() => planContainer(input({ name: 'c', image: 'workflow-engine:1', command: ['/bin/sh'] }))),
    /^CreateContainerError: .*command \["\/bin\/sh"\] cannot run here/,
  );
  const viaCommand = planContainer(
    input({ name: 'c', image: 'workflow-engine:1', command: ['wfctl', 'run', '/etc/workflow/app.yaml'] }),
  );
  assert.deepEqual(
    viaCommand.args,
    ['/repo/bin/wfctl.js', 'run', '/etc/workflow/app.yaml'],
    'a command replaces the default args',
  );
  assert.deepEqual(
    planContainer(input({ name: 'c', image: 'workflow-engine:1' })).args,
    ['/repo/bin/wfctl.js', 'run'],
    'no command, no args: the defaults',
  );
});

test('$(VAR) expansion follows Kubernetes: known variables, $$ escapes, unknown kept', () => {
  assert.equal(expandVars('$(A)-$$(A)-$(B)', { A: 'x' }), 'x-$(A)-$(B)');
});
