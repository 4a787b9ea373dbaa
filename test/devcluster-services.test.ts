// Pod ports, ClusterIPs and Service names on devcluster, with the real kubectl: every containerPort of a
// pod is reachable (port-forward to pods and Services with several ports), each Service's loopback
// ClusterIP forwards its ports to the ready endpoints (selected pods, or the Endpoints a Service
// without a selector is given; the kubernetes Service to the API server), and pods resolve
// NAME.NS.svc.cluster.local, NAME.NS.svc, NAME.NS and, in their namespace, NAME.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { findExecTools } from '../devcluster/nodeagent/container-exec.ts';
import { eventually, startTestCluster, type TestCluster } from './devcluster-harness.ts';

// Listens on the pod's ports as a container would (8080 and 8081, all interfaces): the node agent's
// pod-network preload moves them to their loopback ports. /call?url=U fetches U from inside the pod.
const TINY_SERVER = `
import { createServer } from 'node:http';
const serve = (port) => createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/call') {
    try {
      const r = await fetch(url.searchParams.get('url'), { signal: AbortSignal.timeout(10000) });
      res.end(JSON.stringify({ status: r.status, body: await r.text() }));
    } catch (e) {
      res.end(JSON.stringify({ error: String(e.cause?.code ?? e.message) }));
    }
    return;
  }
  res.end(JSON.stringify({ pod: process.env.HOSTNAME, port }));
}).listen(port);
serve(8080);
serve(8081);
process.on('SIGTERM', () => process.exit(0));
`;

const deployment = (name: string, namespace: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: server
        image: tiny-server:1
        ports: [{name: http, containerPort: 8080}, {name: admin, containerPort: 8081}]
        readinessProbe: {httpGet: {path: /, port: admin}, periodSeconds: 1}
`;

let tc: TestCluster;
let scriptDir: string;

before(async () => {
  scriptDir = mkdtempSync(join(tmpdir(), 'devcluster-services-'));
  const script = join(scriptDir, 'tiny-server.mjs');
  writeFileSync(script, TINY_SERVER);
  tc = await startTestCluster({
    nodeAgent: { images: { 'tiny-server': { command: [process.execPath, script] } }, maxGraceMs: 2000 },
  });
  await tc.ok(
    ['apply', '-f', '-'],
    `${deployment('web', 'default')}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {name: admin, port: 8081, targetPort: admin}]
---
apiVersion: v1
kind: Namespace
metadata: {name: other}
---
${deployment('client', 'other')}`,
  );
  for (const [ns, name] of [
    ['default', 'web'],
    ['other', 'client'],
  ]) {
    const r = await tc.kubectl(['rollout', 'status', '-n', ns!, `deployment/${name}`, '--timeout=90s'], {
      timeoutMs: 100_000,
    });
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await tc?.stop();
  rmSync(scriptDir, { recursive: true, force: true });
});

function get(host: string, port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent: false, timeout: 20_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${host}:${port}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** A request made by the pod of `deployment` in `namespace`, from inside it (its /call endpoint). */
async function fromPod(namespace: string, deployment: string, url: string): Promise<Record<string, unknown>> {
  const pf = await portForward(['-n', namespace, `deployment/${deployment}`, ':8080']);
  try {
    const r = await get('127.0.0.1', pf.ports[0]!, `/call?url=${encodeURIComponent(url)}`);
    return JSON.parse(r.body);
  } finally {
    await pf.stop();
  }
}

async function clusterIP(namespace: string, name: string): Promise<string> {
  return (await tc.ok(['get', 'svc', '-n', namespace, name, '-o', 'jsonpath={.spec.clusterIP}'])).trim();
}

interface Forward {
  ports: number[];
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `kubectl port-forward ARGS`; resolves with the local ports once all of them are forwarding. */
async function portForward(args: string[]): Promise<Forward> {
  const remotes = args.filter((a) => a.startsWith(':')).length;
  const child = spawn(
    'kubectl',
    [
      '--kubeconfig',
      tc.cluster.kubeconfigPath,
      '--cache-dir',
      join(tc.home, 'cache'),
      'port-forward',
      '--address',
      '127.0.0.1',
      ...args,
    ],
    { env: { ...process.env, HOME: tc.home, KUBECONFIG: '' }, detached: true },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ports: number[] = (await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`kubectl port-forward exited ${child.exitCode}: ${output}`);
      const found = [...output.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)].map((m) => Number(m[1]));
      return found.length === remotes ? found : null;
    },
    30_000,
    `kubectl port-forward ${args.join(' ')}`,
  ))!;
  return {
    ports,
    child,
    async stop() {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

test('every containerPort of a pod is reachable: port-forward to the pod and to a Service with two ports', async () => {
  const pod = (await tc.ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  const annotations = JSON.parse(await tc.ok(['get', 'pod', pod, '-o', 'jsonpath={.metadata.annotations}']));
  const recorded = JSON.parse(annotations['devcluster.io/ports']);
  assert.deepEqual(Object.keys(recorded), ['8080', '8081']);
  assert.equal(annotations['devcluster.io/port'], String(recorded['8080']));
  for (const target of [`pod/${pod}`, 'svc/web']) {
    const pf = await portForward([target, target === 'svc/web' ? ':80' : ':8080', ':8081']);
    try {
      const [http, admin] = await Promise.all(pf.ports.map((p) => get('127.0.0.1', p)));
      assert.deepEqual(JSON.parse(http!.body), { pod, port: 8080 });
      assert.deepEqual(JSON.parse(admin!.body), { pod, port: 8081 });
    } finally {
      await pf.stop();
    }
  }
  // the Endpoints name each port's loopback port
  const endpoints = JSON.parse(await tc.ok(['get', 'endpoints', 'web', '-o', 'json']));
  const ports = Object.fromEntries(
    endpoints.subsets[0].ports.map((p: { name: string; port: number }) => [p.name, p.port]),
  );
  assert.deepEqual(ports, { http: recorded['8080'], admin: recorded['8081'] });
});

test("a Service's loopback ClusterIP serves its ports from the cluster's range", async () => {
  const ip = await clusterIP('default', 'web');
  const kubernetes = await clusterIP('default', 'kubernetes');
  assert.match(kubernetes, /^127\.\d+\.\d+\.1$/);
  assert.equal(ip.split('.').slice(0, 2).join('.'), kubernetes.split('.').slice(0, 2).join('.'), 'within its /16');
  assert.notEqual(ip, kubernetes);
  const http = await eventually(() => get(ip, 80), 20_000, `http://${ip}:80`);
  assert.equal(JSON.parse(http.body).port, 8080);
  assert.equal(JSON.parse((await get(ip, 8081)).body).port, 8081);
});

test('pods resolve Service names, the short name only in their own namespace', async () => {
  const web = (await eventually(
    async () => {
      const r = await fromPod('default', 'web', 'http://web.default.svc.cluster.local/');
      return r.status === 200 ? r : null;
    },
    30_000,
    'the web pod reaching its own Service by name',
  ))!;
  assert.equal(JSON.parse(web.body as string).port, 8080);
  for (const url of ['http://web/', 'http://web.default/', 'http://web.default.svc:8081/']) {
    const r = await fromPod('default', 'web', url);
    assert.equal(r.status, 200, `${url}: ${JSON.stringify(r)}`);
  }
  const crossNamespace = await fromPod('other', 'client', 'http://web.default.svc.cluster.local:8081/');
  assert.equal(JSON.parse(crossNamespace.body as string).port, 8081);
  assert.deepEqual(await fromPod('other', 'client', 'http://web/'), { error: 'ENOTFOUND' });
  // kubectl exec: a Node command gets the same names; anything resolving through libc does under PRoot
  const r = await tc.kubectl([
    'exec',
    '-n',
    'other',
    'deploy/client',
    '--',
    process.execPath,
    '-e',
    `fetch('http://web.default.svc/').then(async (r) => console.log(await r.text()))`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).port, 8080);
  const getent = await tc.kubectl(['exec', '-n', 'other', 'deploy/client', '--', 'getent', 'hosts', 'web.default']);
  if (findExecTools().proot) {
    assert.equal(getent.code, 0, getent.stderr);
    assert.equal(getent.stdout.trim().split(/\s+/)[0], await clusterIP('default', 'web'));
  } else {
    assert.notEqual(getent.code, 0, 'without PRoot, /etc/hosts is the host file, which does not name Services');
  }
});

test('Service changes reach the proxies and the names: a port added, a port removed, the Service deleted', async () => {
  await tc.ok(
    ['apply', '-f', '-'],
    `apiVersion: v1
kind: Service
metadata: {name: api, namespace: other}
spec:
  selector: {app: client}
  ports: [{name: http, port: 7000, targetPort: 8080}]
`,
  );
  const ip = await clusterIP('other', 'api');
  await eventually(() => get(ip, 7000), 20_000, `http://${ip}:7000`);
  await tc.ok([
    'patch',
    'svc',
    '-n',
    'other',
    'api',
    '--type=json',
    '-p',
    '[{"op":"replace","path":"/spec/ports","value":[{"name":"admin","port":7001,"targetPort":8081}]}]',
  ]);
  const admin = await eventually(() => get(ip, 7001), 20_000, `http://${ip}:7001`);
  assert.equal(JSON.parse(admin.body).port, 8081);
  await eventually(() => refused(ip, 7000), 20_000, `${ip}:7000 closed`);
  assert.equal((await fromPod('other', 'client', 'http://api:7001/')).status, 200);
  await tc.ok(['delete', 'svc', '-n', 'other', 'api']);
  await eventually(() => refused(ip, 7001), 20_000, `${ip}:7001 closed`);
  await eventually(
    async () => (await fromPod('other', 'client', 'http://api:7001/')).error === 'ENOTFOUND',
    20_000,
    'the deleted Service no longer resolving',
  );
});

test('a Service without a selector forwards to the Endpoints it is given', async (t) => {
  const server = createServer((_req, res) => res.end('outside the cluster'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  await tc.ok(
    ['apply', '-f', '-'],
    `apiVersion: v1
kind: Service
metadata: {name: external, namespace: default}
spec:
  ports: [{name: web, port: 9000}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: external, namespace: default}
subsets: [{addresses: [{ip: 127.0.0.1}], ports: [{name: web, port: ${port}}]}]
`,
  );
  const ip = await clusterIP('default', 'external');
  const r = await eventually(() => get(ip, 9000), 20_000, `http://${ip}:9000`);
  assert.equal(r.body, 'outside the cluster');
});

test('the kubernetes Service ClusterIP reaches the API server (or says why it cannot)', async () => {
  const ip = await clusterIP('default', 'kubernetes');
  const canBind443 = process.getuid?.() === 0;
  if (canBind443) {
    const version = await eventually(
      () =>
        new Promise<string>((resolve, reject) => {
          const req = httpsRequest(
            { host: ip, port: 443, path: '/version', ca: tc.cluster.caCert, servername: 'kubernetes.default.svc' },
            (res) => {
              let body = '';
              res.on('data', (c: Buffer) => (body += c));
              res.on('end', () => resolve(body));
            },
          );
          req.on('error', reject);
          req.end();
        }),
      20_000,
      `https://${ip}/version`,
    );
    assert.match(JSON.parse(version).gitVersion, /^v1\.32/);
  } else {
    const events = await eventually(
      async () => {
        const out = await tc.ok(['get', 'events', '--field-selector', 'involvedObject.name=kubernetes', '-o', 'json']);
        return JSON.parse(out).items.find((e: { reason: string }) => e.reason === 'ClusterIPNotReachable');
      },
      20_000,
      'a ClusterIPNotReachable event',
    );
    assert.match(events.message, /needs privileges/);
  }
});

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}
