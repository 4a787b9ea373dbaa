// ResourceQuota enforcement (object counts, pods, compute requests, claim storage) with status.used
// kept current; NodePort Services reachable on their node port; and the kinds devcluster stores and
// validates (Ingress, NetworkPolicy, PodDisruptionBudget, HorizontalPodAutoscaler, LimitRange)
// applied with kubectl's default validation and refused with kube's messages when wrong.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestCluster, type TestCluster } from './devcluster-harness.ts';

const SERVE = `
import { createServer } from 'node:http';
const server = createServer((req, res) =>
  res.writeHead(200).end(req.url === '/readyz' ? 'ok' : 'hello from ' + process.env.HOSTNAME),
);
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

let tc: TestCluster;
let scriptDir: string;

before(async () => {
  scriptDir = mkdtempSync(join(tmpdir(), 'devcluster-serve-'));
  const script = join(scriptDir, 'serve.mjs');
  writeFileSync(script, SERVE);
  tc = await startTestCluster({
    nodeAgent: { images: { serve: { command: [process.execPath, script] } }, maxGraceMs: 2000 },
  });
});
after(async () => {
  await tc?.stop();
  rmSync(scriptDir, { recursive: true, force: true });
});

const json = async (args: string[]) => JSON.parse(await tc.ok([...args, '-o', 'json']));

test('a ResourceQuota refuses what would exceed it, and keeps status.used current', async () => {
  await tc.ok(['create', 'namespace', 'tenant']);
  await tc.ok([
    'create',
    'quota',
    'q',
    '-n',
    'tenant',
    '--hard=pods=2,count/configmaps=3,requests.storage=1Gi,services.nodeports=0',
  ]);
  const quota = await eventually(
    async () => {
      const q = await json(['get', 'quota', 'q', '-n', 'tenant']);
      return q.status?.used ? q : undefined;
    },
    10_000,
    'status.used',
  );
  assert.deepEqual(quota.status.hard, {
    pods: '2',
    'count/configmaps': '3',
    'requests.storage': '1Gi',
    'services.nodeports': '0',
  });
  assert.equal(quota.status.used['count/configmaps'], '1', 'kube-root-ca.crt');

  for (const name of ['a', 'b']) await tc.ok(['run', name, '-n', 'tenant', '--image=serve:1', '--restart=Never']);
  const third = await tc.kubectl(['run', 'c', '-n', 'tenant', '--image=serve:1', '--restart=Never']);
  assert.notEqual(third.code, 0);
  assert.match(
    third.stderr,
    /pods "c" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2/,
  );
  await eventually(
    async () => (await json(['get', 'quota', 'q', '-n', 'tenant'])).status.used.pods === '2',
    10_000,
    'pods used',
  );
  assert.match(await tc.ok(['get', 'quota', '-n', 'tenant']), /q\s+\S+\s+.*pods: 2\/2/);

  await tc.ok(['create', 'configmap', 'one', '-n', 'tenant']);
  await tc.ok(['create', 'configmap', 'two', '-n', 'tenant']);
  assert.match(
    (await tc.kubectl(['create', 'configmap', 'three', '-n', 'tenant'])).stderr,
    new RegExp(
      String.raw`configmaps "three" is forbidden: exceeded quota: q, requested: count\/configmaps=1,` +
        String.raw` used: count\/configmaps=3, limited: count\/configmaps=3`,
    ),
  );
  const bigClaim = await tc.kubectl(['apply', '-n', 'tenant', '-f', '-'], {
    input:
      'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: big}\nspec: {accessModes: ' +
      '[ReadWriteOnce], resources: {requests: {storage: 2Gi}}}\n',
  });
  assert.match(
    bigClaim.stderr,
    /exceeded quota: q, requested: requests.storage=2Gi, used: requests.storage=0, limited: requests.storage=1Gi/,
  );
  const nodePort = await tc.kubectl(['create', 'service', 'nodeport', 'np', '-n', 'tenant', '--tcp=80:8080']);
  assert.match(
    nodePort.stderr,
    /exceeded quota: q, requested: services.nodeports=1, used: services.nodeports=0, limited: services.nodeports=0/,
  );

  // a pod that ends frees its place
  await tc.ok(['delete', 'pod', 'a', '-n', 'tenant']);
  await eventually(
    async () => (await json(['get', 'quota', 'q', '-n', 'tenant'])).status.used.pods === '1',
    20_000,
    'used goes down',
  );
  await tc.ok(['run', 'c', '-n', 'tenant', '--image=serve:1', '--restart=Never']);

  await tc.ok(['create', 'quota', 'compute', '-n', 'tenant', '--hard=requests.cpu=1,limits.memory=1Gi']);
  const unbounded = await tc.kubectl(['run', 'd', '-n', 'tenant', '--image=serve:1']);
  assert.match(
    unbounded.stderr,
    new RegExp(
      `pods "d" is forbidden: failed quota: compute: must specify (limits.memory` +
        ` for: d; requests.cpu for: d|requests.cpu for: d; limits.memory for: d)`,
    ),
  );
});

test('a NodePort Service gets a node port in 30000-32767 and answers on it', async () => {
  await tc.ok(['create', 'deployment', 'hello', '--image=serve:1', '--port=8080']);
  await tc.ok(['expose', 'deployment', 'hello', '--type=NodePort', '--port=80', '--target-port=8080']);
  const svc = await json(['get', 'svc', 'hello']);
  const nodePort = svc.spec.ports[0].nodePort as number;
  assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
  assert.match(
    await tc.ok(['get', 'svc', 'hello']),
    new RegExp(`hello\\s+NodePort\\s+127\\.\\d+\\.\\d+\\.\\d+\\s+<none>\\s+80:${nodePort}/TCP`),
  );
  await tc.ok(['rollout', 'status', 'deployment/hello', '--timeout=60s']);
  const body = await eventually(
    async () => {
      const res = await fetch(`http://127.0.0.1:${nodePort}/`);
      return res.ok ? res.text() : undefined;
    },
    20_000,
    'an answer on the node port',
  );
  assert.match(String(body), /^hello from hello-/);

  const taken = await tc.kubectl(['apply', '-f', '-'], {
    input:
      `apiVersion: v1\nkind: Service\nmetadata: {name: clash}\nspec: {type: NodePort, selector: {app: ` +
      `x}, ports: [{port: 80, nodePort: ${nodePort}}]}\n`,
  });
  assert.match(
    taken.stderr,
    new RegExp(`spec.ports\\[0\\].nodePort: Invalid value: ${nodePort}: provided port is already allocated`),
  );
  const outside = await tc.kubectl(['apply', '-f', '-'], {
    input:
      'apiVersion: v1\nkind: Service\nmetadata: {name: low}\nspec: {type: NodePort, selector: {app: x}, ' +
      'ports: [{port: 80, nodePort: 8080}]}\n',
  });
  assert.match(outside.stderr, /provided port is not in the valid range. The range of valid ports is 30000-32767/);
  // back to ClusterIP: the node port is released
  await tc.ok(['patch', 'svc', 'hello', '--type=merge', '-p', '{"spec":{"type":"ClusterIP"}}']);
  assert.equal((await json(['get', 'svc', 'hello'])).spec.ports[0].nodePort, undefined);
  await eventually(
    async () => {
      try {
        await fetch(`http://127.0.0.1:${nodePort}/`);
        return false;
      } catch {
        return true;
      }
    },
    10_000,
    'the node port closed',
  );
});

test('Ingress, NetworkPolicy, PodDisruptionBudget, HorizontalPodAutoscaler, LimitRange: stored, checked', async () => {
  await tc.ok(
    ['apply', '-f', '-'],
    `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: app.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: hello, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec:
  podSelector: {}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: hello}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: hello}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: hello}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: hello}
  minReplicas: 1
  maxReplicas: 3
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults}
spec:
  limits:
  - {type: Container, default: {cpu: 500m}, defaultRequest: {cpu: 100m}, max: {cpu: "2"}}
`,
  );
  assert.match(await tc.ok(['get', 'ingress', 'web']), /web\s+<none>\s+app\.example\.com\s+80/);
  assert.equal((await json(['get', 'networkpolicy', 'deny-all'])).spec.policyTypes[0], 'Ingress');
  assert.match(await tc.ok(['get', 'pdb', 'hello']), /hello\s+1\s+N\/A\s+0/);
  assert.match(await tc.ok(['get', 'hpa', 'hello']), /hello\s+Deployment\/hello\s+cpu: <unknown>\/80%\s+1\s+3/);
  await tc.ok(['get', 'limitrange', 'defaults']);
  await tc.ok(['create', 'ingress', 'simple', '--rule=foo.example.com/bar*=hello:80']);
  await tc.ok(['create', 'pdb', 'other', '--selector=app=other', '--max-unavailable=1']);

  const noPathType = await tc.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad}
spec: {rules: [{http: {paths: [{path: /, backend: {service: {name: x, port: {number: 80}}}}]}}]}
`,
  });
  assert.match(
    noPathType.stderr,
    /spec.rules\[0\].http.paths\[0\].pathType: Required value: pathType must be specified/,
  );
  const both = await tc.kubectl(['apply', '-f', '-'], {
    input:
      'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: both}\nspec: {minAvailable: 1, ' +
      'maxUnavailable: 1}\n',
  });
  assert.match(both.stderr, /minAvailable and maxUnavailable cannot be both set/);
  const inverted = await tc.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: inverted}
spec: {scaleTargetRef: {kind: Deployment, name: x}, minReplicas: 5, maxReplicas: 2}
`,
  });
  assert.match(inverted.stderr, /spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`/);
  const minOverMax = await tc.kubectl(['apply', '-f', '-'], {
    input:
      'apiVersion: v1\nkind: LimitRange\nmetadata: {name: bad}\nspec: {limits: [{type: Container, min: {cpu: ' +
      '"2"}, max: {cpu: "1"}}]}\n',
  });
  assert.match(minOverMax.stderr, /min value 2 is greater than max value 1/);
  // the OpenAPI kubectl reads for strict validation covers every served kind
  const unknown = await tc.kubectl(['apply', '-f', '-'], {
    input:
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: typo}\nspec: {podSelector: {}, ' +
      'ingres: []}\n',
  });
  assert.match(unknown.stderr, /unknown field "spec.ingres"/);
});

test('every served kind has its OpenAPI schema: kubectl explain answers for each one api-resources lists', async () => {
  const rows = (await tc.ok(['api-resources', '--no-headers']))
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/));
  const served = rows.map(([name, ...rest]) => ({
    name: name!,
    apiVersion: rest.find((c) => /^([a-z0-9.-]+\/)?v\d+(alpha\d+|beta\d+)?$/.test(c))!,
  }));
  for (const name of ['statefulsets', 'daemonsets', 'jobs', 'cronjobs', 'ingresses', 'resourcequotas', 'limitranges'])
    assert.ok(
      served.some((r) => r.name === name),
      `api-resources lists ${name}`,
    );
  const missing: string[] = [];
  for (const { name, apiVersion } of served) {
    const r = await tc.kubectl(['explain', name, `--api-version=${apiVersion}`]);
    if (r.code !== 0 || !/FIELDS:/.test(r.stdout)) missing.push(`${apiVersion} ${name}: ${r.stderr.trim()}`);
  }
  assert.deepEqual(missing, []);
});

test('kubectl autoscale writes autoscaling/v1 (protobuf); the same object reads as v2 with a cpu metric', async () => {
  await tc.ok(['create', 'deployment', 'scaled', '--image=serve:1']);
  assert.match(
    await tc.ok(['autoscale', 'deployment', 'scaled', '--min=2', '--max=5', '--cpu-percent=70']),
    /horizontalpodautoscaler.autoscaling\/scaled autoscaled/,
  );
  const v2 = await json(['get', 'hpa', 'scaled']);
  assert.equal(v2.apiVersion, 'autoscaling/v2');
  assert.deepEqual(v2.spec.metrics, [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
  ]);
  assert.equal(v2.spec.minReplicas, 2);
  const v1 = await json(['get', 'horizontalpodautoscalers.v1.autoscaling', 'scaled']);
  assert.equal(v1.apiVersion, 'autoscaling/v1');
  assert.equal(v1.spec.targetCPUUtilizationPercentage, 70);
  assert.equal(v1.spec.metrics, undefined);
  assert.match(await tc.ok(['get', 'hpa', 'scaled']), /Deployment\/scaled\s+cpu: <unknown>\/70%\s+2\s+5/);
  const bad = await tc.kubectl(['apply', '-f', '-'], {
    input:
      'apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: bad}\n' +
      'spec: {scaleTargetRef: {kind: Deployment, name: scaled}, minReplicas: 3, maxReplicas: 2, ' +
      'targetCPUUtilizationPercentage: 0}\n',
  });
  assert.match(bad.stderr, /spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`/);
  assert.match(bad.stderr, /spec.targetCPUUtilizationPercentage: Invalid value: 0: must be greater than 0/);
});
