import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../resources/object-meta.ts';
import { expandVars, PlanError, planContainer, type Container, type PlanInput } from './container-plan.ts';
import { translateServerArgs } from './image-runtimes.ts';

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
  volumes: new Map([
    ['config', { dir: '/pods/app-1/volumes/config', projected: true }],
    ['data', { dir: '/pods/app-1/volumes/data', projected: false }],
    ['claim', { dir: '/host/var/lib/devcluster/storage/pvc-1', projected: false }],
  ]),
  node: { cpu: 4, memory: 8 * 2 ** 30 },
  ports: { primary: 31000, byPodPort: new Map([[8080, 31000]]) },
  apiServer: { host: '127.0.0.1', port: 6443 },
  configMap: (name) => (name === 'cfg' ? { 'workflow.yaml': 'modules: []', level: 'debug' } : undefined),
  secret: (name) => (name === 'creds' ? { token: Buffer.from('s3cret') } : undefined),
  baseEnv: { PATH: '/usr/bin' },
  ...extra,
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
  assert.deepEqual(plan.prepare, [], 'whole-volume mounts need no preparation');
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

test('subPath mounts: a projected file is copied at start, a directory volume gets the subdirectory', () => {
  const plan = planContainer(
    input(
      {
        name: 'engine',
        image: 'workflow-engine:1',
        args: ['run', '/app/app.yaml', '-data-dir', '/data/db'],
        env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        volumeMounts: [
          { name: 'config', mountPath: '/app/app.yaml', subPath: 'app.yaml' },
          { name: 'claim', mountPath: '/data', subPathExpr: '$(POD)' },
        ],
      },
      [
        { name: 'config', configMap: { name: 'cfg' } },
        { name: 'claim', persistentVolumeClaim: { claimName: 'data' } },
      ],
    ),
  );
  assert.deepEqual(plan.args.slice(1), [
    'run',
    '/pods/app-1/volume-subpaths/config/engine/0',
    '-data-dir',
    '/host/var/lib/devcluster/storage/pvc-1/app-1/db',
  ]);
  assert.deepEqual(plan.prepare, [
    { kind: 'copy', from: '/pods/app-1/volumes/config/app.yaml', to: '/pods/app-1/volume-subpaths/config/engine/0' },
    { kind: 'mkdir', path: '/host/var/lib/devcluster/storage/pvc-1/app-1' },
  ]);
});

test('resourceFieldRef env: limits rounded up to the divisor, node allocatable without a limit', () => {
  const plan = planContainer(
    input({
      name: 'engine',
      image: 'workflow-engine:1',
      resources: { limits: { memory: '256Mi' }, requests: { cpu: '250m' } },
      env: [
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      ],
    } as Container),
  );
  assert.equal(plan.env.MEM_MI, '256');
  assert.equal(plan.env.CPU_REQ, '250');
  assert.equal(plan.env.CPU_LIMIT, '4');
});

test('a subPath that climbs out of its volume is refused', () => {
  assert.throws(
    () =>
      planContainer(
        input(
          {
            name: 'c',
            image: 'workflow-engine:1',
            volumeMounts: [{ name: 'data', mountPath: '/x', subPath: '../../etc' }],
          },
          [{ name: 'data', emptyDir: {} }],
        ),
      ),
    (e: unknown) => e instanceof PlanError && /must be a relative path without/.test(e.message),
  );
});

test('pod ports: each container is told its own first port, probes reach any pod port by number or name', () => {
  const ports = {
    primary: 31000,
    byPodPort: new Map([
      [8080, 31000],
      [8081, 31001],
      [9090, 31002],
    ]),
  };
  const admin: Container = {
    name: 'admin',
    image: 'workflow-engine:1',
    ports: [{ name: 'admin', containerPort: 8081 }],
    readinessProbe: { httpGet: { path: '/healthz', port: 'admin' } },
    livenessProbe: { tcpSocket: { port: 9090 } },
  };
  const plan = planContainer(input(admin, [], { ports }));
  assert.equal(plan.env.WORKFLOW_ADDR, '127.0.0.1:31001');
  assert.equal(plan.env.PORT, '31001');
  assert.equal(plan.readiness?.port, 31001);
  assert.equal(plan.readiness?.path, '/healthz');
  assert.deepEqual([plan.liveness?.kind, plan.liveness?.port], ['tcp', 31002]);
  assert.throws(
    () => planContainer(input({ ...admin, readinessProbe: { httpGet: { port: 'metrics' } } }, [], { ports })),
    (e: unknown) =>
      e instanceof PlanError && /probe port "metrics" is not a named port of container "admin"/.test(e.message),
  );
});

test('the pod network: Node processes load the preload with the port table and the namespace hosts file', () => {
  const ports = {
    primary: 31000,
    byPodPort: new Map([
      [8080, 31000],
      [8081, 31001],
    ]),
  };
  const network = { preload: '/repo/devcluster/nodeagent/pod-network-preload.cjs', hostsFile: '/data/dns/team/hosts' };
  const plan = planContainer(
    input(
      {
        name: 'engine',
        image: 'workflow-engine:1',
        env: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=256' }],
      },
      [],
      {
        ports,
        network,
      },
    ),
  );
  assert.equal(plan.env.DEVCLUSTER_POD_PORTS, '8080=31000,8081=31001');
  assert.equal(plan.env.DEVCLUSTER_POD_HOSTS, '/data/dns/team/hosts');
  assert.equal(
    plan.env.NODE_OPTIONS,
    '--max-old-space-size=256 --require /repo/devcluster/nodeagent/pod-network-preload.cjs',
  );
  assert.equal(plan.hostsFile, '/data/dns/team/hosts');
  const spaced = planContainer(
    input({ name: 'engine', image: 'workflow-engine:1' }, [], {
      ports,
      network: { ...network, preload: '/my repo/p.cjs' },
    }),
  );
  assert.equal(spaced.env.NODE_OPTIONS, '--require "/my repo/p.cjs"');
});

test('the mount table travels in WORKFLOW_PATH_MAP, so the engine finds the absolute paths of its config', () => {
  const plan = planContainer(
    input(
      {
        name: 'engine',
        image: 'workflow-engine:1',
        args: ['run', '/etc/workflow/workflow.yaml'],
        volumeMounts: [
          { name: 'config', mountPath: '/etc/workflow' },
          { name: 'claim', mountPath: '/data' },
        ],
      },
      [
        { name: 'config', configMap: { name: 'cfg' } },
        { name: 'claim', persistentVolumeClaim: { claimName: 'data' } },
      ],
    ),
  );
  assert.deepEqual(JSON.parse(plan.env.WORKFLOW_PATH_MAP!), {
    '/etc/workflow': '/pods/app-1/volumes/config',
    '/data': '/host/var/lib/devcluster/storage/pvc-1',
  });
  assert.deepEqual(plan.args.slice(1), ['run', '/pods/app-1/volumes/config/workflow.yaml']);
});

test("an engine's data dir that no volume holds is the container's own directory, never the host's", () => {
  const engine = {
    command: ['/usr/bin/node', '/repo/bin/wfctl.js'],
    entrypointName: 'wfctl',
    dataDir: { flag: '--data-dir', env: 'WORKFLOW_DATA_DIR' },
  };
  const plan = (args: string[], extra: Partial<Container> = {}) =>
    planContainer(
      input(
        {
          name: 'engine',
          image: 'workflow-engine:1',
          args,
          volumeMounts: [{ name: 'claim', mountPath: '/app/data' }],
          ...extra,
        },
        [{ name: 'claim', persistentVolumeClaim: { claimName: 'data' } }],
        { runtime: engine },
      ),
    );
  assert.deepEqual(plan(['run', '--data-dir', '/data/']).args.slice(1), [
    'run',
    '--data-dir',
    '/pods/app-1/rootfs/engine/data/',
  ]);
  assert.deepEqual(plan(['run', '--data-dir', '/data']).prepare, [
    { kind: 'mkdir', path: '/pods/app-1/rootfs/engine/data' },
  ]);
  assert.deepEqual(plan(['run', '--data-dir=/app/data/x']).args.slice(1), [
    'run',
    '--data-dir=/host/var/lib/devcluster/storage/pvc-1/x',
  ]);
  const fromEnv = plan(['run'], { env: [{ name: 'WORKFLOW_DATA_DIR', value: '/state' }] });
  assert.equal(fromEnv.env.WORKFLOW_DATA_DIR, '/pods/app-1/rootfs/engine/state');
  assert.equal(
    JSON.parse(plan(['run', '--data-dir', '/data']).env.WORKFLOW_PATH_MAP!)['/data'],
    '/pods/app-1/rootfs/engine/data',
  );
});

test("the runtime's own command is a host path, never rewritten, even under a path the container mounts", () => {
  // a checkout under /tmp (as CI's clone is) running a pod whose data dir is /tmp (upstream's scenarios 24, 41)
  const engine = {
    command: ['/usr/bin/node', '/tmp/ci/bin/wfctl.js'],
    entrypointName: 'wfctl',
    dataDir: { flag: '--data-dir', env: 'WORKFLOW_DATA_DIR' },
  };
  const container = {
    name: 'engine',
    image: 'workflow-engine:1',
    args: ['run', '--data-dir', '/tmp', '/etc/workflow/app.yaml'],
    volumeMounts: [{ name: 'config', mountPath: '/etc/workflow' }],
  };
  const volumes = [{ name: 'config', configMap: { name: 'cfg' } }];
  const plan = planContainer(input(container, volumes, { runtime: engine }));
  assert.deepEqual(plan.args, [
    '/tmp/ci/bin/wfctl.js',
    'run',
    '--data-dir',
    '/pods/app-1/rootfs/engine/tmp',
    '/pods/app-1/volumes/config/app.yaml',
  ]);
  // a runtimes-file template: its own elements stay, the container's command and args are rewritten
  const template = { command: ['/usr/bin/python3', '/tmp/tools/serve.py', '{{command}}', '{{args}}'], template: true };
  const templated = planContainer(
    input(
      {
        ...container,
        command: ['/etc/workflow/app.py'],
        args: ['--config=/etc/workflow/app.yaml', '/tmp/cache'],
        volumeMounts: [...container.volumeMounts, { name: 'data', mountPath: '/tmp' }],
      },
      [...volumes, { name: 'data', emptyDir: {} }],
      { runtime: template },
    ),
  );
  assert.equal(templated.command, '/usr/bin/python3');
  assert.deepEqual(templated.args, [
    '/tmp/tools/serve.py',
    '/pods/app-1/volumes/config/app.py',
    '--config=/pods/app-1/volumes/config/app.yaml',
    '/pods/app-1/volumes/data/cache',
  ]);
});

test("upstream's -addr does not move a pod off the address the node agent gives it", () => {
  const upstream = {
    command: ['/usr/bin/node', '/repo/bin/wfctl.js'],
    translateArgs: translateServerArgs,
    dataDir: { flag: '--data-dir', env: 'WORKFLOW_DATA_DIR' },
  };
  const plan = planContainer(
    input({ name: 'server', image: 'workflow-server:local', args: ['-config', '/app.yaml', '-addr', ':9999'] }, [], {
      runtime: upstream,
    }),
  );
  assert.equal(plan.env.WORKFLOW_ADDR, '127.0.0.1:31000');
  assert.deepEqual(plan.args, ['/repo/bin/wfctl.js', 'run', '/app.yaml']);
});
