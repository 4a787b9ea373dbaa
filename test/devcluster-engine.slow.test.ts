// End to end with the real pieces: `wfctl devcluster` as a process, the real engine image mapping
// (node bin/wfctl.js run <config>) serving examples/hello behind a LoadBalancer Service, and state
// that survives the cluster being killed with SIGKILL: the next start reaps the orphaned engine
// process and runs the pod again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from './devcluster-harness.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'devcluster-engine-'));
const dataDir = join(root, 'data');
const home = join(root, 'home');
let cluster: ChildProcess | undefined;

function startCli(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [join(repo, 'bin/wfctl.js'), 'devcluster', '--data', dataDir, '--log-level', 'warn', '--lb-ports', 'any'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      if (out.includes('Press Ctrl+C to stop.')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`wfctl devcluster exited with ${code}: ${out}`)));
  });
}

function kubectl(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = execFile(
      'kubectl',
      ['--kubeconfig', join(dataDir, 'kubeconfig'), '--cache-dir', join(home, 'cache'), ...args],
      { env: { ...process.env, HOME: home }, timeout: 90_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`kubectl ${args.join(' ')}: ${stderr}${stdout}`));
        else resolve(stdout);
      },
    );
    if (input !== undefined) p.stdin!.end(input);
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function enginePids(): number[] {
  const pods = join(dataDir, 'pods');
  if (!existsSync(pods)) return [];
  return readdirSync(pods).flatMap((d) =>
    readdirSync(join(pods, d))
      .filter((f) => f.endsWith('.pid'))
      .map((f) => Number(readFileSync(join(pods, d, f), 'utf8'))),
  );
}

const LB_PORT = 20000 + Math.floor(Math.random() * 20000);
const manifests = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: hello}
spec:
  replicas: 1
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec:
      containers:
      - name: engine
        image: registry.example.com/workflow-engine:dev
        args: [run, /etc/workflow/workflow.yaml]
        ports: [{containerPort: 8080}]
        volumeMounts: [{name: config, mountPath: /etc/workflow}]
      volumes: [{name: config, configMap: {name: hello}}]
---
apiVersion: v1
kind: Service
metadata: {name: hello}
spec:
  type: LoadBalancer
  selector: {app: hello}
  ports: [{port: ${LB_PORT}, targetPort: 8080}]
`;

async function hello(): Promise<{ message: string }> {
  const svc = JSON.parse(await kubectl(['get', 'svc', 'hello', '-o', 'json']));
  const port = svc.status.loadBalancer.ingress[0].ports[0].port;
  return (await fetch(`http://127.0.0.1:${port}/`)).json() as Promise<{ message: string }>;
}

before(async () => {
  cluster = await startCli();
});
after(async () => {
  if (cluster && cluster.exitCode === null) {
    cluster.kill('SIGTERM');
    await new Promise((r) => cluster!.once('exit', r));
  }
  for (const pid of enginePids()) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

test('the real engine serves examples/hello through a LoadBalancer Service', async () => {
  await kubectl([
    'create',
    'configmap',
    'hello',
    `--from-file=workflow.yaml=${join(repo, 'examples/hello/workflow.yaml')}`,
  ]);
  await kubectl(['apply', '-f', '-'], manifests);
  await kubectl(['rollout', 'status', 'deployment/hello', '--timeout=60s']);
  assert.equal((await hello()).message, 'Hello, world!');
  assert.match(await kubectl(['logs', 'deployment/hello']), /app started/);
});

test('after SIGKILL the next start reaps the orphaned engine and runs the pod again', async () => {
  const [oldPid] = enginePids();
  assert.ok(oldPid && alive(oldPid), 'the engine runs');
  cluster!.kill('SIGKILL');
  await new Promise((r) => cluster!.once('exit', r));
  assert.ok(alive(oldPid), 'a killed cluster leaves its pod process behind');
  cluster = await startCli();
  await eventually(() => !alive(oldPid), 30_000, 'the orphan to be reaped');
  await eventually(async () => (await hello()).message === 'Hello, world!', 60_000, 'the app to answer again');
  assert.notEqual(enginePids()[0], oldPid);
});

test('SIGTERM stops the cluster and every pod process', async () => {
  const pids = enginePids();
  cluster!.kill('SIGTERM');
  const code = await new Promise((r) => cluster!.once('exit', r));
  assert.equal(code, 0);
  for (const pid of pids) assert.equal(alive(pid), false);
});
