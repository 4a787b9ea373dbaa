// Storage on devcluster, driven with the real kubectl: the default local-path StorageClass binds the
// upstream scenarios' PersistentVolumeClaims as they are; a claim's data survives its pod being
// deleted and `kubectl rollout restart`; ConfigMap volumes follow updates (but subPath mounts do not,
// as with the kubelet); the downward API, hostPath confinement, claim protection and both reclaim
// policies behave as on a real cluster. A tiny node script stands in for the engine image.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestCluster, type TestCluster } from './devcluster-harness.ts';

// GET /read/VAR[/rel] reads the file at $VAR(/rel); PUT /write/VAR/name writes the body there.
const STORE_ENGINE = `
import { createServer } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const server = createServer((req, res) => {
  const [, op, name, ...rest] = req.url.split('/');
  const base = process.env[name];
  if (req.url === '/readyz') return res.writeHead(200).end('ok');
  if (!base) return res.writeHead(404).end('no such variable ' + name);
  const file = rest.length ? join(base, ...rest) : base;
  if (op === 'read') {
    try { return res.writeHead(200).end(readFileSync(file)); } catch (e) { return res.writeHead(404).end(String(e)); }
  }
  if (op === 'write' && req.method === 'PUT') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => { writeFileSync(file, Buffer.concat(chunks)); res.writeHead(201).end(file); });
    return;
  }
  res.writeHead(400).end('bad request');
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const CORPUS = process.env.WORKFLOW_CORPUS ?? join(import.meta.dirname, 'fixtures', 'corpus');
const SCENARIOS = join(CORPUS, 'workflow-scenarios', 'scenarios');

let tc: TestCluster;
let scriptDir: string;

before(async () => {
  scriptDir = mkdtempSync(join(tmpdir(), 'devcluster-store-engine-'));
  const script = join(scriptDir, 'store-engine.mjs');
  writeFileSync(script, STORE_ENGINE);
  tc = await startTestCluster({
    nodeAgent: {
      images: { 'store-engine': { command: [process.execPath, script] } },
      restartBackoff: { initialMs: 200, maxMs: 1000 },
      maxGraceMs: 2000,
    },
  });
});
after(async () => {
  await tc?.stop();
  rmSync(scriptDir, { recursive: true, force: true });
});

const json = async (args: string[]) => JSON.parse(await tc.ok([...args, '-o', 'json']));
const hostDir = () => join(tc.dataDir, 'host');

test('the default local-path StorageClass binds every upstream scenario claim as it is', async () => {
  assert.match(
    await tc.ok(['get', 'storageclass']),
    /local-path \(default\)\s+devcluster\.io\/local-path\s+Delete\s+Immediate\s+true/,
  );
  const withClaims = readdirSync(SCENARIOS).filter((s) => existsSync(join(SCENARIOS, s, 'k8s', 'pvc.yaml')));
  assert.ok(withClaims.length >= 6, `scenarios with a pvc.yaml: ${withClaims.join(', ')}`);
  for (const scenario of withClaims) {
    const ns = JSON.parse(readFileSync(join(CORPUS, 'workflow-scenarios', 'scenarios.json'), 'utf8')).scenarios[
      scenario
    ].namespace as string;
    await tc.ok(['apply', '-f', join(SCENARIOS, scenario, 'k8s', 'namespace.yaml')]);
    // exactly as upstream's deploy.sh applies it: default validation, -n NAMESPACE
    await tc.ok(['apply', '-f', join(SCENARIOS, scenario, 'k8s', 'pvc.yaml'), '-n', ns]);
    const name = (await tc.ok(['get', 'pvc', '-n', ns, '-o', 'name'])).trim();
    await tc.ok(['wait', '--for=jsonpath={.status.phase}=Bound', name, '-n', ns, '--timeout=20s']);
    const claim = await json(['get', name, '-n', ns]);
    assert.equal(claim.spec.storageClassName, 'local-path');
    assert.deepEqual(claim.status.capacity, claim.spec.resources.requests, 'bound at the requested size');
    const pv = await json(['get', 'pv', claim.spec.volumeName]);
    assert.equal(pv.spec.claimRef.uid, claim.metadata.uid);
    assert.equal(pv.status.phase, 'Bound');
    assert.ok(existsSync(join(hostDir(), pv.spec.hostPath.path)), 'the volume has its directory');
  }
  const rows = await tc.ok(['get', 'pv']);
  assert.match(rows, /pvc-[\w-]+\s+1Gi\s+RWO\s+Delete\s+Bound\s+wf-scenario-14\/scenario-14-data\s+local-path/);
  assert.match(
    await tc.ok(['get', 'pvc', '-n', 'wf-scenario-14']),
    /scenario-14-data\s+Bound\s+pvc-[\w-]+\s+1Gi\s+RWO\s+local-path/,
  );
});

const storeApp = (marker: string) => `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: store-data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 100Mi}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: store-config}
data:
  app.yaml: "version: 1"
  level: debug
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: store}
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: store}}
  template:
    metadata:
      labels: {app: store}
      annotations: {marker: "${marker}"}
    spec:
      containers:
      - name: engine
        image: store-engine:1
        ports: [{containerPort: 8080}]
        env:
        - {name: DATA, value: /data}
        - {name: CONFIG, value: /etc/app}
        - {name: PINNED, value: /app/app.yaml}
        - {name: INFO, value: /etc/info}
        - {name: LOGS, value: /var/log/store}
        volumeMounts:
        - {name: data, mountPath: /data}
        - {name: config, mountPath: /etc/app}
        - {name: config, mountPath: /app/app.yaml, subPath: app.yaml}
        - {name: info, mountPath: /etc/info}
        - {name: logs, mountPath: /var/log/store}
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: store-data}
      - name: config
        configMap: {name: store-config}
      - name: info
        downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
      - name: logs
        hostPath: {path: /var/log/store, type: DirectoryOrCreate}
`;

async function podPort(): Promise<string> {
  const port = await eventually<string | undefined>(
    async () => {
      const pods = (await json(['get', 'pods', '-l', 'app=store'])).items.filter(
        (p: {
          metadata: { deletionTimestamp?: string };
          status: { conditions?: Array<{ type: string; status: string }> };
        }) =>
          !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return pods.length === 1 ? (pods[0].metadata.annotations['devcluster.io/port'] as string) : undefined;
    },
    30_000,
    'one ready store pod',
  );
  return port!;
}

async function read(port: string, path: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/read/${path}`);
  return `${res.status} ${await res.text()}`;
}

test("a claim's data survives its pod being deleted and kubectl rollout restart", async () => {
  await tc.ok(['apply', '-f', '-'], storeApp('one'));
  await tc.ok(['rollout', 'status', 'deployment/store', '--timeout=40s']);
  let port = await podPort();
  const put = await fetch(`http://127.0.0.1:${port}/write/DATA/notes.txt`, { method: 'PUT', body: 'kept across pods' });
  assert.equal(put.status, 201, await put.text());

  const first = (await json(['get', 'pods', '-l', 'app=store'])).items[0].metadata.name;
  await tc.ok(['delete', 'pod', first]);
  port = await podPort();
  assert.notEqual((await json(['get', 'pods', '-l', 'app=store'])).items[0].metadata.name, first);
  assert.equal(await read(port, 'DATA/notes.txt'), '200 kept across pods');

  await tc.ok(['rollout', 'restart', 'deployment/store']);
  await tc.ok(['rollout', 'status', 'deployment/store', '--timeout=40s']);
  port = await podPort();
  assert.equal(await read(port, 'DATA/notes.txt'), '200 kept across pods');
  const claim = await json(['get', 'pvc', 'store-data']);
  const pv = await json(['get', 'pv', claim.spec.volumeName]);
  assert.equal(readFileSync(join(hostDir(), pv.spec.hostPath.path, 'notes.txt'), 'utf8'), 'kept across pods');
});

test('ConfigMap updates reach the running pod, except through a subPath; the downward API follows labels', async () => {
  const port = await podPort();
  assert.equal(await read(port, 'CONFIG/level'), '200 debug');
  assert.equal(await read(port, 'PINNED'), '200 version: 1');
  await tc.ok([
    'patch',
    'configmap',
    'store-config',
    '--type=merge',
    '-p',
    '{"data":{"level":"info","app.yaml":"version: 2"}}',
  ]);
  await eventually(async () => (await read(port, 'CONFIG/level')) === '200 info', 15_000, 'the updated key in the pod');
  assert.equal(await read(port, 'CONFIG/app.yaml'), '200 version: 2');
  assert.equal(await read(port, 'PINNED'), '200 version: 1', 'a subPath mount keeps what it had at start');

  assert.match(await read(port, 'INFO/labels'), /^200 app="store"/);
  const pod = (await json(['get', 'pods', '-l', 'app=store'])).items[0].metadata.name;
  await tc.ok(['label', 'pod', pod, 'release=blue']);
  await eventually(async () => (await read(port, 'INFO/labels')).includes('release="blue"'), 15_000, 'the new label');
});

test('hostPath volumes live in the node filesystem sandbox under the data dir', async () => {
  const port = await podPort();
  const put = await fetch(`http://127.0.0.1:${port}/write/LOGS/store.log`, { method: 'PUT', body: 'line' });
  assert.equal(put.status, 201);
  assert.equal(readFileSync(join(hostDir(), 'var/log/store/store.log'), 'utf8'), 'line');
  assert.ok(!existsSync('/var/log/store/store.log') || readFileSync('/var/log/store/store.log', 'utf8') !== 'line');
});

test('a claim in use stays Terminating until its pod is gone; then Delete removes volume and data', async () => {
  const claim = await json(['get', 'pvc', 'store-data']);
  const pv = await json(['get', 'pv', claim.spec.volumeName]);
  const dir = join(hostDir(), pv.spec.hostPath.path);
  await tc.ok(['delete', 'pvc', 'store-data', '--wait=false']);
  assert.match(await tc.ok(['get', 'pvc', 'store-data']), /store-data\s+Terminating/);
  assert.ok(existsSync(join(dir, 'notes.txt')), 'the data stays while a pod uses it');
  await tc.ok(['delete', 'deployment', 'store']);
  await tc.ok(['wait', '--for=delete', 'pvc/store-data', '--timeout=30s']);
  await tc.ok(['wait', '--for=delete', `pv/${pv.metadata.name}`, '--timeout=30s']);
  assert.ok(!existsSync(dir), 'the reclaim policy Delete removes the directory');
});

test('Retain keeps a released volume and its data; a static hostPath volume binds by class', async () => {
  await tc.ok(
    ['apply', '-f', '-'],
    `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: keep}
provisioner: devcluster.io/local-path
reclaimPolicy: Retain
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: kept}
spec:
  storageClassName: keep
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Mi}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: manual-pv, labels: {disk: manual}}
spec:
  storageClassName: manual
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  hostPath: {path: /srv/manual}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: static}
spec:
  storageClassName: manual
  selector: {matchLabels: {disk: manual}}
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`,
  );
  await tc.ok(['wait', '--for=jsonpath={.status.phase}=Bound', 'pvc/kept', 'pvc/static', '--timeout=20s']);
  const staticClaim = await json(['get', 'pvc', 'static']);
  assert.equal(staticClaim.spec.volumeName, 'manual-pv');
  assert.deepEqual(staticClaim.status.capacity, { storage: '5Gi' }, 'a claim reports its volume size');
  assert.equal((await json(['get', 'pv', 'manual-pv'])).spec.persistentVolumeReclaimPolicy, 'Retain');

  const kept = await json(['get', 'pvc', 'kept']);
  const pv = await json(['get', 'pv', kept.spec.volumeName]);
  writeFileSync(join(hostDir(), pv.spec.hostPath.path, 'keep.me'), 'x');
  await tc.ok(['delete', 'pvc', 'kept']);
  await tc.ok(['wait', '--for=jsonpath={.status.phase}=Released', `pv/${pv.metadata.name}`, '--timeout=20s']);
  assert.ok(existsSync(join(hostDir(), pv.spec.hostPath.path, 'keep.me')), 'Retain keeps the data');
  assert.match(await tc.ok(['get', 'pv', pv.metadata.name]), /Retain\s+Released\s+default\/kept\s+keep/);
});

test('a pod whose claim does not exist stays Pending, unschedulable, and starts once the claim binds', async () => {
  await tc.ok(
    ['apply', '-f', '-'],
    `
apiVersion: v1
kind: Pod
metadata: {name: waits}
spec:
  containers:
  - name: engine
    image: store-engine:1
    ports: [{containerPort: 8080}]
    env: [{name: DATA, value: /data}]
    volumeMounts: [{name: d, mountPath: /data}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: later}}]
`,
  );
  const condition = await eventually(
    async () =>
      (await json(['get', 'pod', 'waits'])).status.conditions?.find((c: { type: string }) => c.type === 'PodScheduled'),
    15_000,
    'a PodScheduled condition',
  );
  assert.equal(condition.status, 'False');
  assert.match(condition.message, /persistentvolumeclaim "later" not found/);
  assert.match(await tc.ok(['get', 'events', '--field-selector', 'involvedObject.name=waits']), /FailedScheduling/);
  await tc.ok(
    ['apply', '-f', '-'],
    'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: later}\nspec: {accessModes: ' +
      '[ReadWriteOnce], resources: {requests: {storage: 1Mi}}}\n',
  );
  await tc.ok(['wait', '--for=condition=Ready', 'pod/waits', '--timeout=30s']);
  await tc.ok(['delete', 'pod', 'waits']);
});

test('bad claims and volumes get clear validation errors', async () => {
  const noSize = await tc.kubectl(['apply', '-f', '-'], {
    input: 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: bad}\nspec: {accessModes: [ReadWriteMany]}\n',
  });
  assert.notEqual(noSize.code, 0);
  assert.match(noSize.stderr, /spec.resources\[storage\]: Required value/);
  const badMode = await tc.kubectl(['apply', '-f', '-'], {
    input:
      'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: bad}\nspec: {accessModes: ' +
      '[WriteSometimes], resources: {requests: {storage: 1Gi}}}\n',
  });
  assert.match(badMode.stderr, /spec.accessModes: Unsupported value: "WriteSometimes"/);
  const climbing = await tc.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  containers: [{name: c, image: store-engine:1, volumeMounts: [{name: v, mountPath: /x, subPath: ../../etc}]}]
  volumes: [{name: v, configMap: {name: c, items: [{key: k, path: ../k}]}}]
`,
  });
  assert.notEqual(climbing.code, 0);
  assert.match(
    climbing.stderr,
    /spec.volumes\[0\].configMap.items\[0\].path: Invalid value: "..\/k": must not contain '..'/,
  );
  assert.match(climbing.stderr, /volumeMounts\[0\].subPath: Invalid value: "..\/..\/etc": must not contain '..'/);
  await tc.ok(['get', 'pvc', 'static']);
  const shrink = await tc.kubectl([
    'patch',
    'pvc',
    'static',
    '--type=merge',
    '-p',
    '{"spec":{"resources":{"requests":{"storage":"1Mi"}}}}',
  ]);
  assert.match(shrink.stderr, /field can not be less than status.capacity/);
});
