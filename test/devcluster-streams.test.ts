// The streaming subresources with the real kubectl 1.32, on both of its transports: WebSockets (its
// default: SPDY tunnelled over WebSocket for port-forward, v5.channel.k8s.io for exec/attach) and the
// SPDY/3.1 fallback (KUBECTL_PORT_FORWARD_WEBSOCKETS / KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false).
// port-forward to a pod, a Deployment and a Service with 50 concurrent connections, across a container
// restart and a pod replacement; exec in the pod's filesystem view with stdin, exit codes and errors;
// attach; logs -f, --previous, --timestamps, --since, --tail.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { eventually, startTestCluster, type TestCluster } from './devcluster-harness.ts';

const TINY_SERVER = `
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
const [host, port] = process.env.WORKFLOW_ADDR.split(':');
let n = 0;
const server = createServer((req, res) => {
  n++;
  console.log('request ' + n + ' ' + req.url);
  if (req.url === '/crash') { res.end('bye'); setTimeout(() => process.exit(7), 20); return; }
  if (req.url.startsWith('/bytes/')) {
    // byte i is i % 251: bytes lost, repeated or reordered anywhere show
    res.end(Buffer.from(Array.from({ length: Number(req.url.slice(7)) }, (_, i) => i % 251)));
    return;
  }
  if (req.method === 'POST') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.end(body.length + ' ' + createHash('sha256').update(body).digest('hex'));
    });
    return;
  }
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ pod: process.env.HOSTNAME, pid: process.pid, n }));
});
server.listen(Number(port), host, () => console.log('listening on ' + process.env.WORKFLOW_ADDR));
process.stdin.on('data', (d) => console.log('stdin: ' + String(d).trim()));
process.on('SIGTERM', () => process.exit(0));
`;

let tc: TestCluster;
let scriptDir: string;

before(async () => {
  scriptDir = mkdtempSync(join(tmpdir(), 'devcluster-streams-'));
  const script = join(scriptDir, 'tiny-server.mjs');
  writeFileSync(script, TINY_SERVER);
  tc = await startTestCluster({
    nodeAgent: {
      images: { 'tiny-server': { command: [process.execPath, script] } },
      restartBackoff: { initialMs: 100, maxMs: 500 },
      maxGraceMs: 2000,
    },
  });
  await tc.ok(
    ['apply', '-f', '-'],
    `
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {app.yaml: "name: streams-test\\n"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: server
        image: tiny-server:1
        stdin: true
        workingDir: /config
        env: [{name: GREETING, value: hello-from-env}]
        ports: [{containerPort: 8080, name: http}]
        readinessProbe: {tcpSocket: {port: http}, periodSeconds: 1}
        volumeMounts: [{name: config, mountPath: /config}]
      volumes: [{name: config, configMap: {name: web-config}}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`,
  );
  const rollout = await tc.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(rollout.code, 0, rollout.stderr);
});

after(async () => {
  await tc?.stop();
  rmSync(scriptDir, { recursive: true, force: true });
});

type Transport = 'websocket' | 'spdy';

function transportEnv(transport: Transport): NodeJS.ProcessEnv {
  const ws = transport === 'websocket' ? 'true' : 'false';
  return { KUBECTL_PORT_FORWARD_WEBSOCKETS: ws, KUBECTL_REMOTE_COMMAND_WEBSOCKETS: ws };
}

interface Forward {
  port: number;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** `kubectl port-forward TARGET :REMOTE` on a free local port; resolves once it is forwarding. */
async function portForward(target: string, remote: number, transport: Transport): Promise<Forward> {
  const child = spawn(
    'kubectl',
    [
      '--kubeconfig',
      tc.cluster.kubeconfigPath,
      '--cache-dir',
      join(tc.home, 'cache'),
      '-v=4',
      'port-forward',
      '--address',
      '127.0.0.1',
      target,
      `:${remote}`,
    ],
    { env: { ...process.env, HOME: tc.home, KUBECONFIG: '', ...transportEnv(transport) }, detached: true },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`kubectl port-forward exited ${child.exitCode}: ${output}`);
      return Number(/Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(output)?.[1] ?? 0);
    },
    30_000,
    `kubectl port-forward ${target}`,
  );
  return {
    port,
    child,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

/** One HTTP request on a new connection. */
function httpGet(port: number, path = '/', body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', agent: false, timeout: 20_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function podName(): Promise<string> {
  return (await tc.ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
}

for (const transport of ['websocket', 'spdy'] as const) {
  test(`port-forward (${transport}) to a pod, a Deployment and a Service: 50 concurrent connections`, async () => {
    for (const target of [`pod/${await podName()}`, 'deployment/web', 'svc/web']) {
      const remote = target === 'svc/web' ? 80 : 8080; // kubectl maps the Service port to the targetPort
      const pf = await portForward(target, remote, transport);
      try {
        const responses = await Promise.all(Array.from({ length: 50 }, () => httpGet(pf.port)));
        for (const r of responses) {
          assert.equal(r.status, 200);
          assert.match(JSON.parse(r.body.toString()).pod, /^web-/);
        }
        // large bodies both ways arrive whole and in order
        const big = await httpGet(pf.port, '/bytes/5000000');
        assert.equal(big.body.length, 5_000_000);
        assert.ok(
          big.body.every((b, i) => b === i % 251),
          'the download arrived changed',
        );
        const sent = randomBytes(3_000_000);
        const upload = await httpGet(pf.port, '/upload', sent);
        assert.equal(upload.body.toString(), `3000000 ${createHash('sha256').update(sent).digest('hex')}`);
        // the WebSocket tunnel is kubectl's first choice and must be taken, not fallen back from
        const triedWebSocket = /Before WebSocket Upgrade/.test(pf.output());
        assert.equal(triedWebSocket, transport === 'websocket', pf.output());
        assert.doesNotMatch(pf.output(), /fallback to secondary dialer/);
      } finally {
        await pf.stop();
      }
    }
  });
}

test('port-forward survives a container restart, ends when the pod goes, and reconnects to the new pod', async () => {
  const before = await podName();
  const pf = await portForward('deployment/web', 8080, 'websocket');
  try {
    const first = JSON.parse((await httpGet(pf.port)).body.toString());
    await httpGet(pf.port, '/crash');
    // same pod, new process: once it serves again (a connection refused in between would end kubectl's
    // session, as with a real kubelet), new connections through the same kubectl reach it
    await eventually(
      async () => {
        const pod = JSON.parse(await tc.ok(['get', 'pod', before, '-o', 'json']));
        const status = pod.status.containerStatuses[0];
        return status.restartCount > 0 && status.ready;
      },
      30_000,
      'the container restarted and ready',
    );
    const again = JSON.parse((await httpGet(pf.port)).body.toString());
    assert.notEqual(again.pid, first.pid);
    assert.equal(again.pod, before);
    // the pod is replaced: kubectl loses the pod and exits, as with a real cluster
    await tc.ok(['delete', 'pod', before, '--wait=false']);
    const code = await Promise.race([pf.exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
    assert.notEqual(code, 'still running', 'kubectl port-forward should exit when its pod goes away');
    assert.match(pf.output(), /lost connection to pod/);
  } finally {
    await pf.stop();
  }
  await tc.ok(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  const pf2 = await portForward('deployment/web', 8080, 'websocket');
  try {
    const body = JSON.parse((await httpGet(pf2.port)).body.toString());
    assert.notEqual(body.pod, before);
  } finally {
    await pf2.stop();
  }
});

test('port-forward to a port the pod does not serve: kubectl reports the kubelet-style error', async () => {
  const pf = await portForward('deployment/web', 9999, 'websocket');
  try {
    await httpGet(pf.port).catch(() => undefined);
    await eventually(() => /error forwarding port 9999 to pod/.test(pf.output()), 20_000, 'the forwarding error');
    assert.match(pf.output(), /reaches them only on the ports their containers declare \(8080\)/);
  } finally {
    await pf.stop();
  }
});

for (const transport of ['websocket', 'spdy'] as const) {
  test(`exec (${transport}): the pod's volumes, env and working dir; stdin; stderr; exit codes`, async () => {
    const env = transportEnv(transport);
    const run = (args: string[], input?: string) => tc.kubectl(['exec', ...args], { input, env });
    let r = await run(['deploy/web', '--', 'cat', '/config/app.yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'name: streams-test\n');
    r = await run(['deploy/web', '--', 'sh', '-c', 'pwd; ls /config; echo "$GREETING"; echo oops >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '/config\napp.yaml\nhello-from-env\n');
    assert.match(r.stderr, /oops\n/);
    assert.match(r.stderr, /command terminated with exit code 3/);
    r = await run(['-i', 'deploy/web', '--', 'sh', '-c', 'tr a-z A-Z; echo done'], 'hello stdin\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'HELLO STDIN\ndone\n');
    // -it without a terminal: kubectl drops the TTY and says so, the command still gets stdin
    r = await run(['-it', 'deploy/web', '--', 'cat'], 'typed\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'typed\n');
    assert.match(r.stderr, /Unable to use a TTY/);
    r = await run(['deploy/web', '-c', 'nope', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /container nope is not valid for pod web-/);
  });
}

test('exec with a TTY runs the command on a terminal of its own', async () => {
  const r = await tc.kubectl(['exec', 'deploy/web', '--', 'sh', '-c', 'test -t 1 && echo tty || echo no-tty']);
  assert.equal(r.stdout, 'no-tty\n');
  // kubectl only asks for a TTY when its own stdin is a terminal; `script` gives it one
  const withTerminal = await new Promise<string>((resolve) => {
    const child = spawn(
      'script',
      [
        '-qec',
        `kubectl --kubeconfig ${tc.cluster.kubeconfigPath} --cache-dir ${join(tc.home, 'cache')} exec -it ` +
          `deploy/web -- sh -c 'test -t 1 && echo tty:$TERM || echo no-tty'`,
        '/dev/null',
      ],
      { env: { ...process.env, HOME: tc.home, KUBECONFIG: '' } },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.on('close', () => resolve(out));
    child.stdin.end();
  });
  assert.match(withTerminal, /tty:\S+/);
});

test('attach sees the container output and feeds its stdin', async () => {
  const child = spawn(
    'kubectl',
    ['--kubeconfig', tc.cluster.kubeconfigPath, '--cache-dir', join(tc.home, 'cache'), 'attach', '-i', 'deploy/web'],
    { env: { ...process.env, HOME: tc.home, KUBECONFIG: '' }, detached: true },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  try {
    // attached once input written now comes back as the container's output
    await eventually(
      () => {
        child.stdin.write('ping\n');
        return /stdin: ping/.test(output);
      },
      30_000,
      'the attached container echoing stdin',
    );
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
  }
});

test('logs: -f sees new lines; --tail, --timestamps, --since and --previous', async () => {
  const pf = await portForward('deployment/web', 8080, 'websocket');
  const follow = spawn(
    'kubectl',
    ['--kubeconfig', tc.cluster.kubeconfigPath, '--cache-dir', join(tc.home, 'cache'), 'logs', '-f', 'deploy/web'],
    { env: { ...process.env, HOME: tc.home, KUBECONFIG: '' }, detached: true },
  );
  let followed = '';
  follow.stdout.on('data', (d: Buffer) => (followed += d));
  try {
    await eventually(() => /listening on/.test(followed), 20_000, 'the existing log lines');
    await httpGet(pf.port, '/a-new-line');
    await eventually(() => /request \d+ \/a-new-line/.test(followed), 20_000, 'a new line in logs -f');
  } finally {
    process.kill(-follow.pid!, 'SIGTERM');
  }
  const tail = await tc.ok(['logs', 'deploy/web', '--tail=1']);
  assert.match(tail, /^request \d+ \/a-new-line\n$/);
  const stamped = await tc.ok(['logs', 'deploy/web', '--tail=1', '--timestamps']);
  assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z request \d+ \/a-new-line\n$/);
  const recent = await tc.ok(['logs', 'deploy/web', '--since=1h']);
  assert.match(recent, /listening on/);
  // a crash starts a new run: --previous has the old one's lines
  const pod = await podName();
  const restarts = () =>
    tc.ok(['get', 'pod', pod, '-o', 'jsonpath={.status.containerStatuses[0].restartCount}']).then(Number);
  const before = await restarts();
  await httpGet(pf.port, '/crash');
  await pf.stop();
  await eventually(async () => (await restarts()) > before, 30_000, 'the container restart');
  const previous = await tc.ok(['logs', pod, '--previous']);
  assert.match(previous, /request \d+ \/crash/);
  const current = await eventually(async () => {
    const text = await tc.ok(['logs', pod]);
    return /listening on/.test(text) ? text : undefined;
  });
  assert.doesNotMatch(current!, /\/crash/);
});
