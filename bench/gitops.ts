// npm run bench -- gitops [--apps 500] [--pushes 20]
//
// WorkflowSource against its peers, on devcluster (engine pods are the ~1 MB stand-in), with
// `wfctl git serve` and `wfctl operator` as child processes, the way a user runs them:
//  1. first sync of a repo of N apps (replicas 0) vs `kubectl apply --server-side -f DIR` of the
//     same N files, in the same run (both with the operator running);
//  2. a no-op resync of those N apps, triggered by a signed push webhook: time until the source's
//     reconcile finished, and API writes (target 0); the peer: kubectl's re-apply of the same files;
//  3. push-to-Ready through the push webhook, p50/p99 over P pushes (each adds an app), vs
//     `kubectl apply -f` of the same app to Ready.
// The bench process only runs git, kubectl and polls; its CPU time is printed to show it is not
// the bottleneck.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import { startDevCluster } from '../devcluster/index.ts';
import {
  startEngineStandins,
  generatedCrds,
  KubeClient,
  loadKubeConfig,
  workflowAppApi,
  workflowSourceApi,
  type WorkflowSource,
} from '../operator/index.ts';

const exec = promisify(execFile);
const root = new URL('../', import.meta.url).pathname;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}
const N = flag('apps', 500);
const P = flag('pushes', 20);
const secret = 'bench-secret';

const app = (name: string, replicas: number) => `apiVersion: ${workflowAppApi.apiVersion}
kind: WorkflowApp
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  config: |
    modules:
      - name: server
        type: http.server
        config: { address: ":8080" }
      - name: router
        type: http.router
        dependsOn: [server]
`;

function child(args: string[], ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpExecArray }> {
  const proc = spawn(process.execPath, [join(root, 'bin/wfctl.js'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.once('exit', (code) => reject(new Error(`wfctl ${args[0]} exited with ${code}`)));
    proc.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const m = ready.exec(buf);
      if (m) {
        proc.stdout!.removeAllListeners('data');
        proc.stdout!.resume();
        resolve({ proc, match: m });
      }
    });
  });
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function scrape(url: string): Promise<{ writes: number; sourceReconciles: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let writes = 0;
  let sourceReconciles = 0;
  for (const line of text.split('\n')) {
    const w = /^workflow_operator_api_writes_total\{[^}]*\} (\d+)/.exec(line);
    if (w) writes += Number(w[1]);
    const r = /^workflow_operator_source_reconcile_total\{[^}]*\} (\d+)/.exec(line);
    if (r) sourceReconciles += Number(r[1]);
  }
  return { writes, sourceReconciles };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const dir = mkdtempSync(join(tmpdir(), 'bench-gitops-'));
const procs: ChildProcess[] = [];
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const standins = startEngineStandins();
const cluster = await startDevCluster({
  dataDir: join(dir, 'cluster'),
  nodeAgent: { images: { 'workflow-engine': standins.runtime } },
});
try {
  const kubeconfig = cluster.kubeconfigPath;
  const kubectl = (...args: string[]) =>
    exec('kubectl', ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 64 * 1024 * 1024 }).then((r) => r.stdout);
  const client = new KubeClient(loadKubeConfig(kubeconfig), { fieldManager: 'bench' });
  for (const { crd } of generatedCrds()) await client.apply(crd as KubernetesObject);
  for (const c of ['workflowapps', 'workflowsources'])
    await kubectl('wait', '--for=condition=established', '--timeout=60s', `crd/${c}.${workflowAppApi.group}`);
  for (const ns of ['bench-kubectl', 'bench-gitops', 'bench-push', 'bench-push-peer'])
    await kubectl('create', 'namespace', ns);

  const op = await child(
    [
      'operator',
      '--kubeconfig',
      kubeconfig,
      '--no-leader-elect',
      '--metrics-addr',
      '127.0.0.1:0',
      '--workers',
      '16',
      '--webhook-secret',
      secret,
    ],
    /"metrics":"(http:\/\/[^"]+)\/metrics"/,
  );
  procs.push(op.proc);
  const metricsUrl = op.match[1]!;
  const git = await child(
    [
      'git',
      'serve',
      '--data',
      join(dir, 'git'),
      '--port',
      '0',
      '--token',
      't',
      '--notify',
      `${metricsUrl}/hooks/git`,
      '--notify-secret',
      secret,
    ],
    /git server at (http:\/\/\S+)/,
  );
  procs.push(git.proc);
  const gitUrl = git.match[1]!;
  const work = join(dir, 'work');
  mkdirSync(join(work, 'apps'), { recursive: true });
  const g = (...args: string[]) =>
    exec('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { cwd: work }).then((r) =>
      r.stdout.trim(),
    );
  await g('init', '-q', '-b', 'main');
  const pushUrl = `${gitUrl.replace('http://', 'http://wfctl:t@')}/apps.git`;
  const push = async (message: string) => {
    await g('add', '-A');
    await g('commit', '-q', '-m', message);
    await g('push', '-q', pushUrl, 'main');
    return g('rev-parse', 'HEAD');
  };
  const createSource = (namespace: string, spec: Record<string, unknown>) =>
    client.apply({
      apiVersion: workflowAppApi.apiVersion,
      kind: workflowSourceApi.kind,
      metadata: { name: 'apps', namespace },
      spec: { repoURL: `${gitUrl}/apps.git`, ...spec },
    } as KubernetesObject);
  const readSource = (namespace: string) =>
    client.read<WorkflowSource & KubernetesObject>({
      apiVersion: workflowAppApi.apiVersion,
      kind: workflowSourceApi.kind,
      metadata: { name: 'apps', namespace },
    });
  const quiet = async () => {
    let last = -1;
    await until(
      'the operator quiet',
      async () => {
        const { writes } = await scrape(metricsUrl);
        const same = writes === last;
        last = writes;
        return same;
      },
      600_000,
      3_000,
    );
  };

  // 1. First sync of N apps vs kubectl apply --server-side of the same files.
  for (let i = 0; i < N; i++) writeFileSync(join(work, 'apps', `app-${i}.yaml`), app(`app-${i}`, 0));
  const head = await push(`${N} apps`);
  let t = performance.now();
  await kubectl('apply', '--server-side', '-n', 'bench-kubectl', '-f', join(work, 'apps'));
  const kubectlMs = performance.now() - t;
  await quiet();
  t = performance.now();
  await createSource('bench-gitops', { path: 'apps', interval: '1h' });
  await until(
    'the first sync',
    async () => (await readSource('bench-gitops'))?.status?.history?.[0]?.revision === head,
    600_000,
  );
  const syncMs = performance.now() - t;
  const synced = (await readSource('bench-gitops'))?.status;
  if (synced?.resources?.filter((r) => r.status === 'Synced').length !== N)
    throw new Error(`the first sync did not apply ${N} apps: ${synced?.sync?.message}`);
  await quiet();

  // 2. No-op resyncs through the webhook: a push event naming the commit already synced (no fetch),
  //    and one without it (a fetch that finds nothing new, as an interval resync does).
  const noopRun = async (after: string | undefined) => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after, repository: { clone_url: `${gitUrl}/apps.git` } });
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const times: number[] = [];
    let writes = 0;
    for (let i = 0; i < 5; i++) {
      const before = await scrape(metricsUrl);
      const t0 = performance.now();
      const r = await fetch(`${metricsUrl}/hooks/git`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature },
      });
      if (r.status !== 202) throw new Error(`webhook answered ${r.status}`);
      await until(
        'the resync',
        async () => (await scrape(metricsUrl)).sourceReconciles > before.sourceReconciles,
        60_000,
        10,
      );
      times.push(performance.now() - t0);
      writes += (await scrape(metricsUrl)).writes - before.writes;
    }
    return { times, writes };
  };
  const noopKnown = await noopRun(head);
  const noopFetch = await noopRun(undefined);
  t = performance.now();
  await kubectl('apply', '--server-side', '-n', 'bench-kubectl', '-f', join(work, 'apps'));
  const kubectlNoopMs = performance.now() - t;

  // 3. Push-to-Ready through the webhook, vs kubectl apply to Ready.
  rmSync(join(work, 'apps'), { recursive: true });
  mkdirSync(join(work, 'live'), { recursive: true });
  writeFileSync(join(work, 'live', 'seed.yaml'), app('seed', 1));
  await push('seed');
  await createSource('bench-push', { path: 'live', interval: '1h' });
  const isReady = async (namespace: string, name: string) => {
    const a = await client.read<any>({
      apiVersion: workflowAppApi.apiVersion,
      kind: workflowAppApi.kind,
      metadata: { name, namespace },
    });
    return a?.status?.conditions?.some(
      (c: any) => c.type === 'Ready' && c.status === 'True' && c.observedGeneration === a.metadata.generation,
    );
  };
  await until('the seed app Ready', () => isReady('bench-push', 'seed'), 120_000);
  const pushToReady: number[] = [];
  const applyToReady: number[] = [];
  for (let i = 0; i < P; i++) {
    writeFileSync(join(work, 'live', `push-${i}.yaml`), app(`push-${i}`, 1));
    t = performance.now();
    await push(`push ${i}`);
    await until(`push-${i} Ready`, () => isReady('bench-push', `push-${i}`), 120_000, 20);
    pushToReady.push(performance.now() - t);

    const file = join(dir, `direct-${i}.yaml`);
    writeFileSync(file, app(`direct-${i}`, 1));
    t = performance.now();
    await kubectl('apply', '-n', 'bench-push-peer', '-f', file);
    await until(`direct-${i} Ready`, () => isReady('bench-push-peer', `direct-${i}`), 120_000, 20);
    applyToReady.push(performance.now() - t);
  }

  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  const lines = [
    `first sync of ${N} apps: WorkflowSource ${fmt(syncMs)} (fetch, render, ${N} server-side applies, status)`,
    `  peer: kubectl apply --server-side -f (${N} files) ${fmt(kubectlMs)}; ratio ` +
      `${(syncMs / kubectlMs).toFixed(2)}x (target <= 1.5x)`,
    `no-op resync of ${N} apps, push of the synced commit (webhook -> reconcile done): median ` +
      `${fmt(pct(noopKnown.times, 50))}, max ${fmt(Math.max(...noopKnown.times))} over 5; API writes ` +
      `${noopKnown.writes} (target < 1 s, 0 writes)`,
    `  with a git fetch that finds nothing new (as an interval resync): median ` +
      `${fmt(pct(noopFetch.times, 50))}, max ${fmt(Math.max(...noopFetch.times))} over 5; API writes ` +
      `${noopFetch.writes}`,
    `  peer: kubectl apply --server-side re-apply ${fmt(kubectlNoopMs)}, ${N} PATCH requests`,
    `push-to-Ready through the webhook, ${P} pushes: p50 ${fmt(pct(pushToReady, 50))}, p99 ` +
      `${fmt(pct(pushToReady, 99))} (target p99 < 3 s)`,
    `  peer: kubectl apply -f to Ready: p50 ${fmt(pct(applyToReady, 50))}, p99 ${fmt(pct(applyToReady, 99))}; ` +
      `ratio p50 ${(pct(pushToReady, 50) / pct(applyToReady, 50)).toFixed(2)}x`,
    `load generator (this process): ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(1)}% of one ` +
      `core over ${fmt(wall)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  for (const p of procs) {
    try {
      process.kill(-p.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await cluster.stop();
  await standins.stop();
  rmSync(dir, { recursive: true, force: true });
}
