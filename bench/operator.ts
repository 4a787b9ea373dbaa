// npm run bench -- operator [--apps 1000] [--concurrency 16] [--workers 16]
//
// N WorkflowApps reconciled by `wfctl operator` (a child process) on devcluster, against the same
// owned objects (ConfigMap, Deployment, Service per app, rendered by the operator's own renderer)
// written straight to the API by this process with the same client and concurrency: the peer is
// "what it costs to create the end state directly". Both runs measure from the first write to the
// end state: every app's status written for its generation (and Ready when devcluster's node agent
// makes Deployments available). Also: API writes per app to converge, writes per app per resync at
// steady state (target 0), and the operator's RSS (target < 250 MB).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { startDevCluster } from '../devcluster/index.ts';
import { engineImage } from '../engine/index.ts';
import { effectiveSpec, enableConnectionReuse, prepareEngineConfig, renderSteadyState, workflowAppApi, workflowAppCrd, type WorkflowApp } from '../operator/index.ts';

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

function config(i: number): string {
  return `name: app-${i}
modules:
  - name: server
    type: http.server
    config: { address: ":8080" }
  - name: router
    type: http.router
    dependsOn: [server]
pipelines:
  ping:
    trigger: { type: http, config: { method: GET, path: /ping } }
    steps:
      - name: respond
        type: step.json_response
        config: { status: 200, body: { app: app-${i} } }
`;
}

function app(namespace: string, i: number): WorkflowApp {
  return { apiVersion: workflowAppApi.apiVersion, kind: workflowAppApi.kind, metadata: { name: `app-${i}`, namespace }, spec: { config: config(i) } };
}

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
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

function startOperator(kubeconfig: string, namespace: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    // BENCH_OPERATOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the operator process.
    [...(process.env.BENCH_OPERATOR_NODE_ARGS?.split(' ').filter(Boolean) ?? []), join(root, 'bin/wfctl.js'), 'operator', '--kubeconfig', kubeconfig, '--namespace', namespace, '--workers', String(workers),
      '--no-leader-elect', '--metrics-addr', '127.0.0.1:0', '--resync', `${resyncSeconds}s`, '--log-level', 'info'],
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
const cluster = await startDevCluster({ dataDir: join(dir, 'cluster') });
let operator: ChildProcess | undefined;
try {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  enableConnectionReuse(kc); // the same client the operator uses, keep-alive included
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const apply = (o: KubernetesObject) => objects.patch(o, undefined, undefined, 'bench', true, PatchStrategy.ServerSideApply);
  await apply(workflowAppCrd() as KubernetesObject);
  await until('the CRD', async () => {
    const crd = (await objects.read({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: workflowAppApi.crdName } })) as { status?: { conditions?: Array<{ type: string; status: string }> } };
    return !!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  }, 30_000);
  for (const ns of ['bench-direct', 'bench-operator']) await core.createNamespace({ body: { metadata: { name: ns } } });

  // Peer: the end state written directly.
  const direct = Array.from({ length: N }, (_, i) => {
    const a = { ...app('bench-direct', i), metadata: { name: `app-${i}`, namespace: 'bench-direct', uid: '' } };
    const spec = effectiveSpec(a, engineImage);
    return renderSteadyState(a, spec, prepareEngineConfig(config(i))).map((o) => {
      delete o.metadata!.ownerReferences; // no owner in this run; the objects are otherwise identical
      return o;
    });
  });
  const t0 = performance.now();
  await pool(direct, concurrency, async (objs) => {
    for (const o of objs) await apply(o);
  });
  const directMs = performance.now() - t0;

  // The operator: started idle, then the apps are created; done when every app's status is current.
  const op = await startOperator(cluster.kubeconfigPath, 'bench-operator');
  operator = op.child;
  let peakRss = (await scrape(op.url)).rssMb;
  const t1 = performance.now();
  await pool(Array.from({ length: N }, (_, i) => app('bench-operator', i)), concurrency, (a) => apply(a as unknown as KubernetesObject));
  const createdMs = performance.now() - t1;
  await until(`${N} apps reconciled`, async () => {
    peakRss = Math.max(peakRss, (await scrape(op.url)).rssMb);
    const list = (await objects.list(workflowAppApi.apiVersion, workflowAppApi.kind, 'bench-operator')) as unknown as { items: WorkflowApp[] };
    return list.items.length === N && list.items.every((a) => a.status?.observedGeneration === a.metadata.generation && a.status?.revision);
  }, 600_000);
  const operatorMs = performance.now() - t1;
  const converged = await scrape(op.url);

  // Steady state: three resyncs of every app.
  await new Promise((r) => setTimeout(r, resyncSeconds * 3 * 1000 + 1500));
  const steady = await scrape(op.url);
  peakRss = Math.max(peakRss, steady.rssMb);

  const ratio = operatorMs / directMs;
  const lines = [
    `operator bench: ${N} WorkflowApps on devcluster, ${concurrency} concurrent writers, ${workers} operator workers`,
    `  direct writes (peer): ${(directMs / 1000).toFixed(1)} s for ${3 * N} objects (${(N / (directMs / 1000)).toFixed(0)} apps/s)`,
    `  operator:             ${(operatorMs / 1000).toFixed(1)} s from first create to all reconciled (creating the apps took ${(createdMs / 1000).toFixed(1)} s)`,
    `  ratio operator/direct: ${ratio.toFixed(2)}x (target <= 1.5x)`,
    `  API writes per app to converge: ${(converged.writes / N).toFixed(2)} (${Object.entries(converged.byKind).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    `  API writes per app per resync at steady state: ${((steady.writes - converged.writes) / N / 3).toFixed(3)} (target 0; ${steady.writes - converged.writes} writes over 3 resyncs${steady.writes > converged.writes ? `: ${Object.entries(steady.byKind).map(([k, v]) => `${k} +${v - (converged.byKind[k] ?? 0)}`).filter((s) => !s.endsWith('+0')).join(', ')}` : ''})`,
    `  operator RSS: peak ${peakRss.toFixed(0)} MB (target < 250 MB)`,
    `  note: Ready (pods available) needs devcluster's node agent; this run measures reconciled status`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  operator?.kill('SIGTERM');
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
