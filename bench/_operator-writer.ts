// Helper process of bench/operator.ts: writes either the owned objects of N apps (the peer) or N
// WorkflowApps (for the operator), with the same client and concurrency, in a process of its own
// like the operator. Prints "ready" once loaded, starts on a line on stdin, prints {"ms": ...}.
import { createInterface } from 'node:readline';
import { KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { engineImage } from '../engine/index.ts';
import {
  effectiveSpec,
  enableConnectionReuse,
  prepareEngineConfig,
  renderSteadyState,
  workflowAppApi,
  type WorkflowApp,
} from '../operator/index.ts';

const [kubeconfig, mode, namespace, n, concurrency] = process.argv.slice(2);
const N = Number(n);

function benchConfig(i: number): string {
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

function app(i: number): WorkflowApp {
  return {
    apiVersion: workflowAppApi.apiVersion,
    kind: workflowAppApi.kind,
    metadata: { name: `app-${i}`, namespace: namespace! },
    spec: { config: benchConfig(i) },
  };
}

/** The end state the operator converges to, without an owner (nothing owns them in this run). */
function ownedObjects(i: number): KubernetesObject[] {
  const a = { ...app(i), metadata: { ...app(i).metadata, uid: '' } };
  return renderSteadyState(a, effectiveSpec(a, engineImage), prepareEngineConfig(benchConfig(i))).map((o) => {
    delete o.metadata!.ownerReferences;
    return o;
  });
}

{
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig!);
  enableConnectionReuse(kc);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const apply = async (o: KubernetesObject) => {
    const once = () => objects.patch(o, undefined, undefined, 'bench', true, PatchStrategy.ServerSideApply);
    await once().catch((e: { code?: string }) => (e?.code === 'ECONNRESET' ? once() : Promise.reject(e)));
  };
  const work: KubernetesObject[][] = Array.from({ length: N }, (_, i) =>
    mode === 'apps' ? [app(i) as unknown as KubernetesObject] : ownedObjects(i),
  );
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Number(concurrency) }, async () => {
      while (next < work.length) for (const o of work[next++]!) await apply(o);
    }),
  );
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0 })}\n`);
  process.exit(0);
}
