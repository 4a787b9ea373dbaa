// npm run bench -- operator [--apps 1000] [--concurrency 16] [--workers 16]
//
// N WorkflowApps reconciled to Ready by `wfctl operator` (a child process) on devcluster, whose node
// agent runs every engine pod as a tiny stand-in process (operator/testing/engine-standin.ts: ~1 MB,
// answers the probes), against the peer: the same owned objects (ConfigMap, Deployment, Service per
// app, rendered by the operator's own renderer) written straight to the API by this process with
// the same client and concurrency, until every Deployment is available. Both runs are measured from
// the first write to all-Ready. Also: API writes per app to converge, writes per app per resync at
// steady state (target 0), and the operator's RSS (target < 250 MB). The operator runs as a user
// runs it, `bin/wfctl.js operator`, which runs dist/ (the build; rebuilt by the test runner, `npm run build`).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { startDevCluster } from '../devcluster/index.ts';
import {
  enableConnectionReuse,
  startEngineStandins,
  workflowAppApi,
  workflowAppCrd,
  type WorkflowApp,
} from '../operator/index.ts';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

const N = flag('apps', 1000);
const concurrency = flag('concurrency', 16);
const workers = flag('workers', concurrency); // as many operator workers as direct writers: the same concurrency
const resyncSeconds = 5;
const root = new URL('../', import.meta.url).pathname;

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000)); // listing 1,000 objects is work for the server too
  }
}

/** Scrapes the operator's /metrics: total writes by kind, RSS. */
async function scrape(url: string): Promise<{ writes: number; byKind: Record<string, number>; rssMb: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const byKind: Record<string, number> = {};
  let writes = 0;
  let rssMb = 0;
  for (const line of text.split('\n')) {
    const w = /^workflow_operator_api_writes_total\{verb="(\w+)",kind="([^"]+)"\} (\d+)/.exec(line);
    if (w) {
      const key = `${w[1]} ${w[2]}`;
      byKind[key] = (byKind[key] ?? 0) + Number(w[3]);
      writes += Number(w[3]);
    }
    const r = /^workflow_operator_process_resident_memory_bytes (\d+)/.exec(line);
    if (r) rssMb = Number(r[1]) / 1024 / 1024;
  }
  return { writes, byKind, rssMb };
}

/** The writer child, loaded and waiting; go() starts it and resolves with its write time. */
function writer(kubeconfig: string, mode: 'objects' | 'apps', namespace: string): Promise<{ go(): Promise<number> }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'bench/_operator-writer.ts'),
      kubeconfig,
      mode,
      namespace,
      String(N),
      String(concurrency),
    ],
    {
      cwd: root,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`bench writer exited with ${code}`)));
    });
  return next().then(() => ({
    async go() {
      const done = next();
      child.stdin!.write('go\n');
      return (JSON.parse(await done) as { ms: number }).ms;
    },
  }));
}

function startOperator(
  kubeconfig: string,
  namespace: string,
  entry: string,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    // BENCH_OPERATOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the operator process.
    [
      ...(process.env.BENCH_OPERATOR_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      entry,
      'operator',
      '--kubeconfig',
      kubeconfig,
      '--namespace',
      namespace,
      '--workers',
      String(workers),
      '--no-leader-elect',
      '--metrics-addr',
      '127.0.0.1:0',
      '--resync',
      `${resyncSeconds}s`,
      '--log-level',
      'info',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let buf = '';
    child.once('exit', (code) => reject(new Error(`operator exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const m = /"metrics":"(http:\/\/[^"]+)\/metrics"/.exec(buf);
      if (m) {
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({ child, url: m[1]! });
      }
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'bench-operator-'));
const standins = startEngineStandins();
const cluster = await startDevCluster({
  dataDir: join(dir, 'cluster'),
  nodeAgent: { images: { 'workflow-engine': standins.runtime } },
});
let operator: ChildProcess | undefined;
try {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  enableConnectionReuse(kc); // the same client the operator uses, keep-alive included
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(CoreV1Api);
  // One retry on a reset connection, as the operator's client does.
  const retry = async <T>(fn: () => Promise<T>): Promise<T> =>
    fn().catch((e: { code?: string }) => (e?.code === 'ECONNRESET' ? fn() : Promise.reject(e)));
  const apply = (o: KubernetesObject) =>
    retry(() => objects.patch(o, undefined, undefined, 'bench', true, PatchStrategy.ServerSideApply));
  await apply(workflowAppCrd() as KubernetesObject);
  await until(
    'the CRD',
    async () => {
      const crd = (await objects.read({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: workflowAppApi.crdName },
      })) as { status?: { conditions?: Array<{ type: string; status: string }> } };
      return !!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    },
    30_000,
  );
  for (const ns of ['bench-direct', 'bench-operator']) await core.createNamespace({ body: { metadata: { name: ns } } });

  // Peer: the end state written directly, by a child process (as the operator is one).
  type Listed = { items: Array<{ status?: { availableReplicas?: number } }> };
  const direct = await writer(cluster.kubeconfigPath, 'objects', 'bench-direct');
  const t0 = performance.now();
  const directWritesMs = await direct.go();
  await until(
    `${N} direct Deployments available`,
    async () => {
      const list = (await retry(() => objects.list('apps/v1', 'Deployment', 'bench-direct'))) as unknown as Listed;
      return list.items.length === N && list.items.every((d) => (d.status?.availableReplicas ?? 0) >= 1);
    },
    900_000,
  );
  const directMs = performance.now() - t0;
  // Free the direct run's pods before the operator's run, so both see the same node.
  await core.deleteNamespace({ name: 'bench-direct' });
  await until(
    'the direct run cleaned up',
    async () => {
      const pods = (await retry(() => objects.list('v1', 'Pod', 'bench-direct'))) as unknown as Listed;
      return pods.items.length === 0;
    },
    900_000,
  );

  // The operator: started idle, then the apps are created; done when every app's status is current.
  // Inside the repository, so its external packages resolve from node_modules.
  const op = await startOperator(cluster.kubeconfigPath, 'bench-operator', join(root, 'bin/wfctl.js'));
  operator = op.child;
  let peakRss = (await scrape(op.url)).rssMb;
  const apps = await writer(cluster.kubeconfigPath, 'apps', 'bench-operator');
  const t1 = performance.now();
  const createdMs = await apps.go();
  await until(
    `${N} apps Ready`,
    async () => {
      peakRss = Math.max(peakRss, (await scrape(op.url)).rssMb);
      const list = (await retry(() =>
        objects.list(workflowAppApi.apiVersion, workflowAppApi.kind, 'bench-operator'),
      )) as unknown as { items: WorkflowApp[] };
      const ready = (a: WorkflowApp) =>
        a.status?.conditions?.some(
          (c) => c.type === 'Ready' && c.status === 'True' && c.observedGeneration === a.metadata.generation,
        );
      return list.items.length === N && list.items.every(ready);
    },
    900_000,
  );
  const operatorMs = performance.now() - t1;
  const converged = await scrape(op.url);

  // Steady state: three resyncs of every app.
  await new Promise((r) => setTimeout(r, resyncSeconds * 3 * 1000 + 1500));
  const steady = await scrape(op.url);
  peakRss = Math.max(peakRss, steady.rssMb);

  const ratio = operatorMs / directMs;
  const lines = [
    `operator bench: ${N} WorkflowApps on devcluster, ${concurrency} concurrent writers, ${workers} operator ` +
      `workers, operator run as wfctl operator`,
    `  direct (peer): ${(directMs / 1000).toFixed(1)} s to all ${N} Deployments available (writing the ` +
      `${3 * N} objects took ${(directWritesMs / 1000).toFixed(1)} s)`,
    `  operator:      ${(operatorMs / 1000).toFixed(1)} s from the first create to all ${N} apps Ready ` +
      `(creating the apps took ${(createdMs / 1000).toFixed(1)} s)`,
    `  ratio operator/direct: ${ratio.toFixed(2)}x (target <= 1.5x)`,
    `  API writes per app to converge: ${(converged.writes / N).toFixed(2)} (${Object.entries(converged.byKind)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
    `  API writes per app per resync at steady state: ${((steady.writes - converged.writes) / N / 3).toFixed(3)} ` +
      `(target 0; ${steady.writes - converged.writes} writes over 3 resyncs${
        steady.writes > converged.writes
          ? `: ${Object.entries(steady.byKind)
              .map(([k, v]) => `${k} +${v - (converged.byKind[k] ?? 0)}`)
              .filter((s) => !s.endsWith('+0'))
              .join(', ')}`
          : ''
      })`,
    `  operator RSS: peak ${peakRss.toFixed(0)} MB (target < 250 MB)`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  operator?.kill('SIGTERM');
  await cluster.stop();
  await standins.stop();
  rmSync(dir, { recursive: true, force: true });
}
