// The node agent with a tiny node HTTP script standing in for the engine image: a Deployment becomes
// ReplicaSet -> Pods -> local processes (ConfigMap mounted, env mapped, loopback port), readiness
// gates Deployment status and the LoadBalancer Service round-robins over ready pods; rolling updates,
// crash restarts, scale-down and an unrunnable image are observed through kubectl.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestCluster, type TestCluster } from './devcluster-harness.ts';

const TINY_ENGINE = `
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const [, , command, configPath] = process.argv;
if (command !== 'run') { console.error('usage: run CONFIG'); process.exit(2); }
const [host, port] = process.env.WORKFLOW_ADDR.split(':');
let ready = false;
setTimeout(() => { ready = true; }, Number(process.env.READY_DELAY_MS ?? 0));
const server = createServer((req, res) => {
  if (req.url === '/readyz') { res.writeHead(ready ? 200 : 503).end(); return; }
  if (req.url === '/healthz') { res.writeHead(200).end('ok'); return; }
  if (req.url === '/crash') { res.writeHead(200).end('bye'); setTimeout(() => process.exit(3), 10); return; }
  if (req.url === '/sick') { res.writeHead(500).end('sick'); return; }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  const env = process.env;
  res.end(JSON.stringify({
    pod: env.POD_NAME, namespace: env.POD_NAMESPACE, greeting: env.GREETING, level: env.LEVEL,
    config: readFileSync(configPath, 'utf8'), pid: process.pid,
  }));
});
server.listen(Number(port), host, () => console.log('tiny engine listening on', process.env.WORKFLOW_ADDR));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

let tc: TestCluster;
let scriptDir: string;

before(async () => {
  scriptDir = mkdtempSync(join(tmpdir(), 'devcluster-tiny-engine-'));
  const script = join(scriptDir, 'tiny-engine.mjs');
  writeFileSync(script, TINY_ENGINE);
  tc = await startTestCluster({
    nodeAgent: {
      images: {
        'tiny-engine': { command: [process.execPath, script], defaultArgs: ['run', '/etc/workflow/workflow.yaml'] },
      },
      restartBackoff: { initialMs: 200, maxMs: 1000 },
      maxGraceMs: 2000,
    },
  });
});
after(async () => {
  await tc?.stop();
  rmSync(scriptDir, { recursive: true, force: true });
});

const manifests = (image: string, greeting: string, replicas = 2) => `
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data:
  workflow.yaml: |
    modules: []
  level: debug
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: app}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - name: engine
        image: ${image}
        args: [run, /etc/workflow/workflow.yaml]
        ports: [{containerPort: 8080, name: http}]
        env:
        - {name: GREETING, value: "${greeting}"}
        - name: LEVEL
          valueFrom: {configMapKeyRef: {name: app-config, key: level}}
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        - name: POD_NAMESPACE
          valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
        readinessProbe: {httpGet: {path: /readyz, port: http}, periodSeconds: 1}
        volumeMounts: [{name: config, mountPath: /etc/workflow}]
      volumes:
      - name: config
        configMap: {name: app-config, items: [{key: workflow.yaml, path: workflow.yaml}]}
---
apiVersion: v1
kind: Service
metadata: {name: app}
spec:
  type: LoadBalancer
  selector: {app: app}
  ports: [{name: http, port: 18080, targetPort: http}]
`;

async function get(url: string): Promise<any> {
  const res = await fetch(url);
  return res.json();
}

async function loadBalancerUrl(): Promise<string> {
  const svc = JSON.parse(await tc.ok(['get', 'svc', 'app', '-o', 'json']));
  const ingress = svc.status.loadBalancer.ingress[0];
  return `http://${ingress.ip}:${ingress.ports[0].port}`;
}

test('a Deployment of the engine image runs as ready local processes behind a LoadBalancer Service', async () => {
  await tc.ok(['apply', '-f', '-'], manifests('tiny-engine:1', 'hello'));
  const rollout = await tc.kubectl(['rollout', 'status', 'deployment/app', '--timeout=30s'], { timeoutMs: 40_000 });
  assert.equal(rollout.code, 0, rollout.stderr);
  assert.match(rollout.stdout, /successfully rolled out/);
  await tc.ok(['wait', '--for=condition=Available', 'deployment/app', '--timeout=10s']);
  assert.match(await tc.ok(['get', 'deploy', 'app']), /app\s+2\/2\s+2\s+2/);
  const pods = JSON.parse(await tc.ok(['get', 'pods', '-l', 'app=app', '-o', 'json'])).items;
  assert.equal(pods.length, 2);
  for (const pod of pods) {
    assert.equal(pod.status.phase, 'Running');
    assert.equal(pod.status.podIP, '127.0.0.1');
    assert.match(pod.metadata.annotations['devcluster.io/port'], /^\d+$/);
    assert.equal(pod.metadata.ownerReferences[0].kind, 'ReplicaSet');
    assert.equal(pod.spec.nodeName, 'devcluster');
  }
  assert.match(await tc.ok(['get', 'pods', '-l', 'app=app']), /1\/1\s+Running\s+0/);

  const url = await loadBalancerUrl();
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const body = await get(url);
    seen.add(body.pod);
    assert.equal(body.greeting, 'hello');
    assert.equal(body.level, 'debug');
    assert.equal(body.namespace, 'default');
    assert.equal(body.config, 'modules: []\n');
  }
  assert.deepEqual(
    [...seen].sort(),
    pods.map((p: { metadata: { name: string } }) => p.metadata.name).sort(),
    'round-robin over both pods',
  );
  const endpoints = JSON.parse(await tc.ok(['get', 'endpoints', 'app', '-o', 'json']));
  assert.equal(endpoints.subsets.length, 2);
  assert.equal(
    (await tc.ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=app', '-o', 'name'])).trim().split('\n')
      .length,
    2,
  );
});

test('the controllers and the kubelet record Events, as kubectl describe shows them', async () => {
  const events = await tc.ok(['get', 'events', '--sort-by=.lastTimestamp']);
  for (const reason of ['ScalingReplicaSet', 'SuccessfulCreate', 'Scheduled', 'Started'])
    assert.match(events, new RegExp(`\\s${reason}\\s`));
  assert.match(await tc.ok(['describe', 'deployment', 'app']), /Scaled up replica set app-\w+ from 0 to 2/);
  assert.match(
    await tc.ok(['describe', 'pods', '-l', 'app=app']),
    /Successfully assigned default\/app-\w+-\w+ to devcluster/,
  );
});

test('a template change rolls out a ReplicaSet within maxSurge/maxUnavailable, with no failed request', async () => {
  const url = await loadBalancerUrl();
  let serving = true;
  let failures = 0;
  let served = 0;
  const traffic = (async () => {
    while (serving) {
      try {
        await get(url);
        served++;
      } catch {
        failures++;
      }
    }
  })();
  await tc.ok(['apply', '-f', '-'], manifests('tiny-engine:2', 'bonjour'));
  const rollout = await tc.kubectl(['rollout', 'status', 'deployment/app', '--timeout=40s'], { timeoutMs: 50_000 });
  serving = false;
  await traffic;
  assert.equal(rollout.code, 0, rollout.stderr);
  assert.equal(
    failures,
    0,
    `${failures} of ${served + failures} requests failed during the rollout (maxUnavailable: 0)`,
  );
  const d = JSON.parse(await tc.ok(['get', 'deploy', 'app', '-o', 'json']));
  assert.equal(d.status.observedGeneration, d.metadata.generation);
  assert.equal(d.status.updatedReplicas, 2);
  assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '2');
  const rss = JSON.parse(await tc.ok(['get', 'rs', '-l', 'app=app', '-o', 'json'])).items;
  assert.deepEqual(rss.map((rs: { spec: { replicas: number } }) => rs.spec.replicas).sort(), [0, 2]);
  await eventually(
    async () => (await get(await loadBalancerUrl())).greeting === 'bonjour',
    10_000,
    'new pods behind the load balancer',
  );
  assert.match(await tc.ok(['rollout', 'history', 'deployment/app']), /^1\s/m);
});

test("kubectl logs shows a pod process's output", async () => {
  const logs = await tc.ok(['logs', 'deployment/app', '--tail=5']);
  assert.match(logs, /tiny engine listening on 127\.0\.0\.1:\d+/);
  const wrong = await tc.kubectl(['logs', 'deployment/app', '-c', 'nope']);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /container nope is not valid for pod/);
});

test('a crashed process restarts with back-off and becomes ready again', async () => {
  const pod = JSON.parse(await tc.ok(['get', 'pods', '-l', 'app=app', '-o', 'json'])).items[0];
  const port = pod.metadata.annotations['devcluster.io/port'];
  await fetch(`http://127.0.0.1:${port}/crash`);
  await eventually(
    async () => {
      const p = JSON.parse(await tc.ok(['get', 'pod', pod.metadata.name, '-o', 'json']));
      const status = p.status.containerStatuses[0];
      return status.restartCount >= 1 && status.ready && status.lastState.terminated?.exitCode === 3;
    },
    15_000,
    'restart after the crash',
  );
  assert.equal((await get(`http://127.0.0.1:${port}/`)).pod, pod.metadata.name, 'same pod, same port');
});

test('a failing liveness probe restarts the process', async () => {
  await tc.ok(
    ['apply', '-f', '-'],
    `
apiVersion: apps/v1
kind: Deployment
metadata: {name: sick}
spec:
  selector: {matchLabels: {app: sick}}
  template:
    metadata: {labels: {app: sick}}
    spec:
      containers:
      - name: engine
        image: tiny-engine:1
        args: [run, /etc/workflow/workflow.yaml]
        ports: [{containerPort: 8080}]
        livenessProbe: {httpGet: {path: /sick, port: 8080}, periodSeconds: 1, failureThreshold: 2}
        volumeMounts: [{name: config, mountPath: /etc/workflow}]
      volumes: [{name: config, configMap: {name: app-config}}]
`,
  );
  await eventually(
    async () => {
      const pods = JSON.parse(await tc.ok(['get', 'pods', '-l', 'app=sick', '-o', 'json'])).items;
      return pods[0]?.status?.containerStatuses?.[0]?.restartCount >= 1;
    },
    20_000,
    'a liveness restart',
  );
  await tc.ok(['delete', 'deployment', 'sick']);
});

test('an image the node cannot run leaves the Deployment unavailable with a clear condition', async () => {
  await tc.ok(['create', 'deployment', 'web', '--image=nginx:1.27']);
  const message = await eventually(
    async () => {
      const d = JSON.parse(await tc.ok(['get', 'deploy', 'web', '-o', 'json']));
      return d.status?.conditions?.find((c: { type: string }) => c.type === 'ReplicaFailure')?.message as
        | string
        | undefined;
    },
    10_000,
    'ReplicaFailure condition',
  );
  assert.match(message!, /runs only tiny-engine:\* images as local processes; "nginx:1.27" cannot run on this node/);
  const d = JSON.parse(await tc.ok(['get', 'deploy', 'web', '-o', 'json']));
  assert.equal(d.status.conditions.find((c: { type: string }) => c.type === 'Available').status, 'False');
  assert.match(await tc.ok(['get', 'pods', '-l', 'app=web']), /0\/1\s+ErrImageNeverPull/);
  await tc.ok(['delete', 'deployment', 'web']);
});

test('scaling to zero and deleting stop the processes; the Deployment cascade removes ReplicaSets, pods', async () => {
  const ports = JSON.parse(await tc.ok(['get', 'pods', '-l', 'app=app', '-o', 'json'])).items.map(
    (p: { metadata: { annotations: Record<string, string> } }) => p.metadata.annotations['devcluster.io/port'],
  );
  await tc.ok(['scale', 'deployment/app', '--replicas=0']);
  await eventually(
    async () => (await tc.ok(['get', 'pods', '-l', 'app=app', '-o', 'name'])).trim() === '',
    15_000,
    'pods gone',
  );
  for (const port of ports) await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  await tc.ok(['delete', 'deployment', 'app']);
  await eventually(
    async () => (await tc.ok(['get', 'rs', '-l', 'app=app', '-o', 'name'])).trim() === '',
    10_000,
    'ReplicaSets collected',
  );
});
